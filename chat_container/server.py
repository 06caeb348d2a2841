"""The asyncio gRPC server: chat service, health service, fan-out bus, graceful shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from sqlalchemy import inspect

from chat_container.events import Bus, Hub, MemoryBus
from chat_container.gen.energy.chat.v1 import chat_pb2, chat_pb2_grpc
from chat_container.rabbit import EXCHANGE, RabbitBus
from chat_container.ratelimit import ADMIN_SENDS, CLIENT_SENDS, RatePolicy
from chat_container.safety import SafeErrors
from chat_container.servicebus import TOPIC, ServiceBusBus
from chat_container.servicer import ChatServicer
from chat_container.store import ChatStore
from chat_container.stream import HEARTBEAT_S, RECHECK_S
from chat_container.typing_state import TYPING_THROTTLE_S, TYPING_TTL_S
from shared.chat.models import Conversation, Message
from shared.gctune import settle_after_start
from shared.platform import Platform, build_platform
from shared.settings import get_settings

logger = logging.getLogger(__name__)

SERVICE_NAME = chat_pb2.DESCRIPTOR.services_by_name["ChatService"].full_name


@dataclass(frozen=True, slots=True)
class ChatConfig:
    """How one replica runs; read from CHAT_* environment variables."""

    port: int = 50051
    host: str = "[::]"
    typing_throttle_s: float = TYPING_THROTTLE_S
    typing_ttl_s: float = TYPING_TTL_S
    exchange: str = EXCHANGE
    grace_s: float = 5.0
    heartbeat_s: float = HEARTBEAT_S
    recheck_s: float = RECHECK_S
    client_sends: RatePolicy = CLIENT_SENDS
    admin_sends: RatePolicy = ADMIN_SENDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ChatConfig:
        """Read CHAT_PORT, CHAT_HOST, CHAT_TYPING_*_S, CHAT_EVENTS_EXCHANGE, CHAT_*_S (incl.
        CHAT_STREAM_RECHECK_S) and CHAT_[ADMIN_]SEND_RATE_PER_S / CHAT_[ADMIN_]SEND_BURST."""
        base = cls()

        def policy(prefix: str, default: RatePolicy) -> RatePolicy:
            return RatePolicy(
                float(environ.get(f"{prefix}_RATE_PER_S", default.rate_per_s)),
                int(environ.get(f"{prefix}_BURST", default.burst)),
            )

        try:
            return cls(
                port=int(environ.get("CHAT_PORT", base.port)),
                host=environ.get("CHAT_HOST", base.host),
                typing_throttle_s=float(
                    environ.get("CHAT_TYPING_THROTTLE_S", base.typing_throttle_s)
                ),
                typing_ttl_s=float(environ.get("CHAT_TYPING_TTL_S", base.typing_ttl_s)),
                exchange=environ.get("CHAT_EVENTS_EXCHANGE", base.exchange),
                grace_s=float(environ.get("CHAT_GRACE_S", base.grace_s)),
                heartbeat_s=float(environ.get("CHAT_HEARTBEAT_S", base.heartbeat_s)),
                recheck_s=float(environ.get("CHAT_STREAM_RECHECK_S", base.recheck_s)),
                client_sends=policy("CHAT_SEND", base.client_sends),
                admin_sends=policy("CHAT_ADMIN_SEND", base.admin_sends),
            )
        except ValueError as exc:
            raise SystemExit(f"invalid CHAT_* setting: {exc}") from exc


@dataclass
class RunningServer:
    """A started replica; stop() shuts it down gracefully."""

    server: grpc.aio.Server
    port: int
    servicer: ChatServicer
    health: health.aio.HealthServicer
    bus: Bus
    store: ChatStore
    grace_s: float

    async def stop(self) -> None:
        """Report NOT_SERVING, end the streams (clients resume elsewhere), drain, disconnect."""
        await self.health.enter_graceful_shutdown()
        self.servicer.close()
        await self.server.stop(self.grace_s)
        await self.bus.close()
        self.store.close()


def make_bus(
    hub: Hub, config: ChatConfig, *, rabbitmq_url: str | None, servicebus: str | None, topic: str
) -> Bus:
    """RabbitMQ (local, compose), Service Bus (Azure) or, with neither, this process only."""
    if rabbitmq_url:
        return RabbitBus(hub, rabbitmq_url, exchange=config.exchange)
    if servicebus:
        return ServiceBusBus(hub, servicebus, topic=topic)
    return MemoryBus(hub)


async def start_server(
    config: ChatConfig,
    *,
    platform: Platform,
    rabbitmq_url: str | None,
    servicebus_connection_string: str | None = None,
    servicebus_topic: str = TOPIC,
) -> RunningServer:
    """Start a replica on config.port (0: any free port)."""
    hub = Hub()
    bus = make_bus(
        hub,
        config,
        rabbitmq_url=rabbitmq_url,
        servicebus=servicebus_connection_string,
        topic=servicebus_topic,
    )
    await bus.start()
    store = ChatStore(platform)
    servicer = ChatServicer(
        store,
        hub,
        bus,
        throttle_s=config.typing_throttle_s,
        typing_ttl_s=config.typing_ttl_s,
        heartbeat_s=config.heartbeat_s,
        recheck_s=config.recheck_s,
        client_sends=config.client_sends,
        admin_sends=config.admin_sends,
    )
    health_servicer = health.aio.HealthServicer()
    server = grpc.aio.server(interceptors=[SafeErrors()])
    chat_pb2_grpc.add_ChatServiceServicer_to_server(servicer, server)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port(f"{config.host}:{config.port}")
    await server.start()
    for name in ("", SERVICE_NAME):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    loop = type(asyncio.get_running_loop())
    logger.info(
        "chat service on port %d (fan-out: %s, event loop: %s.%s)",
        port,
        type(bus).__name__,
        loop.__module__,
        loop.__name__,
    )
    return RunningServer(server, port, servicer, health_servicer, bus, store, config.grace_s)


def check_schema(platform: Platform) -> None:
    """Refuse to start on a database without the chat tables, naming the fix."""
    factory = platform.readers
    with factory() as session:
        tables = set(inspect(session.get_bind()).get_table_names())
    missing = {Conversation.__tablename__, Message.__tablename__} - tables
    if missing:
        raise SystemExit(
            f"the database lacks {', '.join(sorted(missing))}: "
            "run `python -m shared.migrate upgrade` first"
        )


async def serve(config: ChatConfig | None = None) -> None:
    """Run one replica until SIGTERM or SIGINT, then stop gracefully."""
    config = config or ChatConfig.from_env()
    settings = get_settings()
    platform = build_platform(settings)
    check_schema(platform)
    running = await start_server(
        config,
        platform=platform,
        rabbitmq_url=settings.RABBITMQ_URL,
        servicebus_connection_string=settings.CHAT_EVENTS_SERVICEBUS_CONNECTION_STRING,
        servicebus_topic=settings.CHAT_EVENTS_TOPIC,
    )
    settle_after_start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    logger.info("stopping the chat service (grace %.1f s)", config.grace_s)
    await running.stop()

"""A TCP relay to MariaDB whose flows can be made to die silently (tests of pooled connections
that a failover, a load balancer or a NAT dropped without telling the client)."""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from tests.utils.services import MARIADB_HOST, MARIADB_PORT


class SilentRelay:
    """A TCP relay to MariaDB whose current flows can be made to die silently, as behind a
    load balancer that forgot an idle flow: nothing more reaches the client (so its socket has
    nothing to read), and the client's next bytes end the flow (an end of stream)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.flows: list[tuple[socket.socket, socket.socket, threading.Event]] = []
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, database_url: str) -> str:
        """database_url (same user and database) reached through this relay."""
        relayed = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return relayed.render_as_string(hide_password=False)

    def silence(self) -> None:
        for _, _, silent in self.flows:
            silent.set()

    def close(self) -> None:
        self.closed.set()
        self.listener.close()
        for client, upstream, _ in self.flows:
            client.close()
            upstream.close()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((MARIADB_HOST, MARIADB_PORT))
            flow = (client, upstream, threading.Event())
            self.flows.append(flow)
            threading.Thread(target=self._pump, args=flow, daemon=True).start()

    def _pump(
        self, client: socket.socket, upstream: socket.socket, silent: threading.Event
    ) -> None:
        try:
            while not self.closed.is_set():
                for sock in select.select([client, upstream], [], [], 0.05)[0]:
                    data = sock.recv(65536)
                    if not data or (silent.is_set() and sock is client):
                        return
                    if not silent.is_set():
                        (upstream if sock is client else client).sendall(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()


@contextmanager
def silent_relay() -> Iterator[SilentRelay]:
    """A running relay, closed on exit."""
    running = SilentRelay()
    try:
        yield running
    finally:
        running.close()

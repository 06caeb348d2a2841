"""Serve the built browser app and proxy /api/* to the API (a Static Web App twin)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

import aiohttp
from aiohttp import web
from yarl import URL

logger = logging.getLogger(__name__)

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
CLIENT_KEY = web.AppKey("client", aiohttp.ClientSession)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
# The same policy as static_site/public/staticwebapp.config.json, with connect-src naming the
# local services (the deployed file names the Azure domains instead).
CSP_TEMPLATE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src {connect}; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _origin(url: str) -> str | None:
    parsed = URL(url)
    if parsed.scheme not in ("http", "https", "ws", "wss") or not parsed.host:
        return None
    return str(parsed.origin())


def content_security_policy(runtime_config: Mapping[str, str], connect: Iterable[str]) -> str:
    """The web app's CSP: its own origin plus the services it talks to (chat, Web PubSub)."""
    origins = ["'self'"]
    for value in (*runtime_config.values(), *connect):
        origin = _origin(value) if isinstance(value, str) else None
        if origin and origin not in origins:
            origins.append(origin)
    return CSP_TEMPLATE.format(connect=" ".join(origins))


def _forward_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}


def _index_files(dist_dir: Path) -> dict[str, Path]:
    """Map every servable file's relative path to its location (no traversal possible)."""
    if not dist_dir.is_dir():
        return {}
    return {p.relative_to(dist_dir).as_posix(): p for p in dist_dir.rglob("*") if p.is_file()}


def build_webapp(
    dist_dir: Path,
    api_base_url: str,
    runtime_config: dict[str, str] | None = None,
    connect_sources: Iterable[str] = (),
) -> web.Application:
    """Return an app serving dist_dir (SPA fallback to index.html) and proxying /api/*.

    /config.json gives the browser app its runtime settings (e.g. the gRPC-Web chat URL), as a
    file deployed beside the app does in Azure. Pages carry a Content-Security-Policy whose
    connect-src allows the chat URL and `connect_sources` (the Web PubSub WebSocket origin).
    """
    app = web.Application(client_max_size=10 * 1024**2)
    index = dist_dir / "index.html"
    page_headers = {
        **SECURITY_HEADERS,
        "Content-Security-Policy": content_security_policy(runtime_config or {}, connect_sources),
    }

    files = _index_files(dist_dir)

    async def on_startup(app: web.Application) -> None:
        app[CLIENT_KEY] = aiohttp.ClientSession(auto_decompress=False)

    async def on_cleanup(app: web.Application) -> None:
        await app[CLIENT_KEY].close()

    async def proxy(request: web.Request) -> web.StreamResponse:
        url = api_base_url.rstrip("/") + request.rel_url.path_qs
        body = await request.read()
        session = request.app[CLIENT_KEY]
        async with session.request(
            request.method,
            url,
            headers=_forward_headers(request.headers),
            data=body,
            allow_redirects=False,
        ) as upstream:
            payload = await upstream.read()
            headers = _forward_headers(upstream.headers)
            return web.Response(body=payload, status=upstream.status, headers=headers)

    async def static(request: web.Request) -> web.StreamResponse:
        found = files.get(request.match_info.get("path", ""))
        if found is not None:
            immutable = found.parent.name == "assets"
            cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
            return web.FileResponse(found, headers={"Cache-Control": cache, **page_headers})
        if "index.html" not in files:
            return web.Response(status=503, text="The web app is not built: run `make web`.")
        return web.FileResponse(index, headers={"Cache-Control": "no-cache", **page_headers})

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app.router.add_route("*", "/api/{tail:.*}", proxy)
    app.router.add_route("*", "/api", proxy)

    async def config(_request: web.Request) -> web.StreamResponse:
        return web.json_response(
            runtime_config or {}, headers={"Cache-Control": "no-store", **SECURITY_HEADERS}
        )

    app.router.add_get("/config.json", config)
    app.router.add_get("/{path:.*}", static)
    return app

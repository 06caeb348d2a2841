"""Serve the built browser app and proxy /api/* to the API (a Static Web App twin)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import aiohttp
from aiohttp import web

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
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _forward_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}


def _index_files(dist_dir: Path) -> dict[str, Path]:
    """Map every servable file's relative path to its location (no traversal possible)."""
    if not dist_dir.is_dir():
        return {}
    return {p.relative_to(dist_dir).as_posix(): p for p in dist_dir.rglob("*") if p.is_file()}


def build_webapp(
    dist_dir: Path, api_base_url: str, runtime_config: dict[str, str] | None = None
) -> web.Application:
    """Return an app serving dist_dir (SPA fallback to index.html) and proxying /api/*.

    /config.json gives the browser app its runtime settings (e.g. the gRPC-Web chat URL), as a
    file deployed beside the app does in Azure.
    """
    app = web.Application(client_max_size=10 * 1024**2)
    index = dist_dir / "index.html"

    files = _index_files(dist_dir)

    async def on_startup(app: web.Application) -> None:
        app["client"] = aiohttp.ClientSession(auto_decompress=False)

    async def on_cleanup(app: web.Application) -> None:
        await app["client"].close()

    async def proxy(request: web.Request) -> web.StreamResponse:
        url = api_base_url.rstrip("/") + request.rel_url.path_qs
        body = await request.read()
        session: aiohttp.ClientSession = request.app["client"]
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
            return web.FileResponse(found, headers={"Cache-Control": cache, **SECURITY_HEADERS})
        if "index.html" not in files:
            return web.Response(status=503, text="The web app is not built: run `make web`.")
        return web.FileResponse(index, headers={"Cache-Control": "no-cache", **SECURITY_HEADERS})

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app.router.add_route("*", "/api/{tail:.*}", proxy)
    app.router.add_route("*", "/api", proxy)

    async def config(_request: web.Request) -> web.StreamResponse:
        return web.json_response(runtime_config or {}, headers={"Cache-Control": "no-store"})

    app.router.add_get("/config.json", config)
    app.router.add_get("/{path:.*}", static)
    return app

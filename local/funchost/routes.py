"""Compile Azure Functions (ASP.NET Core) route templates into matchers; pure, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from local.funchost.constraints import ConstraintError
from local.funchost.template import Parameter, RouteTemplateError, Segment, parse_segments


@dataclass(frozen=True, slots=True)
class RouteTemplate:
    """A compiled template; `match` returns URL-decoded route values or None."""

    template: str
    segments: tuple[Segment, ...]
    # How many path pieces can match at all (None: any number, a catch-all): a cheap test
    # before the segment by segment match, which the host runs for every template it tries.
    min_pieces: int = 0
    max_pieces: int | None = None

    @property
    def precedence(self) -> tuple[int, ...]:
        """Sort key: smaller is more specific (literals, constrained, plain, then catch-all)."""
        return tuple(segment.rank for segment in self.segments)

    def match(self, path: str) -> dict[str, str] | None:
        """Match a raw (still percent-encoded) path; a leading/trailing slash is ignored."""
        return self.match_pieces(split_path(path))

    def match_pieces(self, pieces: Sequence[str]) -> dict[str, str] | None:
        """Match a path already split by `split_path` (split once, try every template)."""
        count = len(pieces)
        if count < self.min_pieces or (self.max_pieces is not None and count > self.max_pieces):
            return None
        return match_segments(self.segments, pieces)


def compile_route(template: str) -> RouteTemplate:
    """Compile a route template such as `items/{category:alpha}/{id:int?}`."""
    try:
        segments = parse_segments(template)
    except (RouteTemplateError, ConstraintError) as exc:
        raise RouteTemplateError(f"invalid route template {template!r}: {exc}") from exc
    required = [i + 1 for i, segment in enumerate(segments) if not segment.skippable]
    catch_all = any(s.parameter is not None and s.parameter.catch_all for s in segments)
    return RouteTemplate(
        template,
        tuple(segments),
        min_pieces=max(required, default=0),
        max_pieces=None if catch_all else len(segments),
    )


def join_route(prefix: str, route: str) -> str:
    """Join a routePrefix and a function route the way the host does (`""` prefix = none)."""
    head = prefix.strip("/")
    tail = route.removeprefix("~").removeprefix("/")
    return f"{head}/{tail}" if head and tail else head or tail


def split_path(path: str) -> list[str]:
    """Split a raw URL path into percent-decoded segments (`%2F` stays inside its segment)."""
    trimmed = path.removeprefix("/").removesuffix("/")
    return [unquote(piece) for piece in trimmed.split("/")] if trimmed else []


def match_segments(segments: Sequence[Segment], pieces: Sequence[str]) -> dict[str, str] | None:
    """Match decoded path pieces against compiled segments; None on any miss."""
    values: dict[str, str] = {}
    for index, segment in enumerate(segments):
        param = segment.parameter
        if param is not None and param.catch_all:
            return _match_catch_all(param, "/".join(pieces[index:]), values)
        if index >= len(pieces):
            return _fill_missing(segments[index:], values)
        if not _match_segment(segment, pieces[index], values):
            return None
    return values if len(pieces) == len(segments) else None


def _match_catch_all(param: Parameter, rest: str, values: dict[str, str]) -> dict[str, str] | None:
    if not rest:
        if param.default is not None:
            values[param.name] = param.default
        return values
    if not param.accepts(rest):
        return None
    values[param.name] = rest
    return values


def _fill_missing(segments: Sequence[Segment], values: dict[str, str]) -> dict[str, str] | None:
    for segment in segments:
        if not segment.skippable:
            return None
        param = segment.parameter
        if param is not None and param.default is not None:
            values[param.name] = param.default
    return values


def _match_segment(segment: Segment, piece: str, values: dict[str, str]) -> bool:
    if segment.pattern is not None:
        return _match_complex(segment, piece, values)
    only = segment.parts[0]
    if isinstance(only, str):
        return only.casefold() == piece.casefold()
    if not piece or not only.accepts(piece):
        return False
    values[only.name] = piece
    return True


def _match_complex(segment: Segment, piece: str, values: dict[str, str]) -> bool:
    assert segment.pattern is not None
    found = segment.pattern.fullmatch(piece)
    if found is None:
        return False
    params = [part for part in segment.parts if isinstance(part, Parameter)]
    for param, value in zip(params, found.groups(), strict=True):
        if value is None:
            continue  # an optional trailing parameter that is absent
        if not param.accepts(value):
            return False
        values[param.name] = value
    return True


__all__ = [
    "RouteTemplate",
    "RouteTemplateError",
    "compile_route",
    "join_route",
    "match_segments",
    "split_path",
]

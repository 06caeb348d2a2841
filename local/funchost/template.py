"""Parse ASP.NET Core route template text into segments and parameters; pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from local.funchost.constraints import Constraint, parse_constraint

# ASP.NET inbound precedence digit per segment: lower sorts first (more specific).
RANK_LITERAL, RANK_COMPLEX, RANK_CONSTRAINED, RANK_PARAMETER, RANK_CATCH_ALL = 1, 2, 3, 4, 5
_NAME_END = ":?="
_CONSTRAINT_END = ("", ":", "?", "=")


class RouteTemplateError(ValueError):
    """A route template cannot be parsed."""


@dataclass(frozen=True, slots=True)
class Parameter:
    """A `{name:constraint?}` placeholder inside a segment."""

    name: str
    constraints: tuple[Constraint, ...] = ()
    optional: bool = False
    default: str | None = None
    catch_all: bool = False

    def accepts(self, value: str) -> bool:
        """True when every constraint accepts `value`."""
        return all(constraint.check(value) for constraint in self.constraints)


Part = str | Parameter


@dataclass(frozen=True, slots=True)
class Segment:
    """One `/`-separated piece of a template: a literal, a parameter, or a mix of both."""

    parts: tuple[Part, ...]
    pattern: re.Pattern[str] | None = None  # set only for complex (mixed) segments

    @property
    def parameter(self) -> Parameter | None:
        """The segment's parameter when the segment is exactly one parameter."""
        only = self.parts[0]
        return only if len(self.parts) == 1 and isinstance(only, Parameter) else None

    @property
    def rank(self) -> int:
        """The ASP.NET precedence digit of this segment."""
        param = self.parameter
        if param is None:
            return RANK_LITERAL if len(self.parts) == 1 else RANK_COMPLEX
        if param.catch_all:
            return RANK_CATCH_ALL
        return RANK_CONSTRAINED if param.constraints else RANK_PARAMETER

    @property
    def skippable(self) -> bool:
        """True when the segment may be absent from the path (optional, default or catch-all)."""
        param = self.parameter
        return param is not None and (
            param.optional or param.catch_all or param.default is not None
        )


def split_template(template: str) -> list[str]:
    """Split template text on `/` outside `{...}` (a regex constraint may contain `/`)."""
    pieces, start, inside, i = [], 0, False, 0
    while i < len(template):
        pair = template[i : i + 2]
        if pair in ("{{", "}}"):
            i += 2
            continue
        char = template[i]
        if char == "{" and not inside:
            inside = True
        elif char == "}" and inside:
            inside = False
        elif char == "/" and not inside:
            pieces.append(template[start:i])
            start = i + 1
        i += 1
    if inside:
        raise RouteTemplateError("unclosed '{'")
    pieces.append(template[start:])
    return pieces


def parse_parts(text: str) -> list[Part]:
    """Split one segment into literal text and parameters (`{{`/`}}` are escaped braces)."""
    parts: list[Part] = []
    literal, i = "", 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in ("{{", "}}"):
            literal, i = literal + pair[0], i + 2
        elif text[i] == "{":
            if literal:
                parts.append(literal)
            inner, i = _read_parameter(text, i + 1)
            parts.append(parse_parameter(inner))
            literal = ""
        elif text[i] == "}":
            raise RouteTemplateError("unmatched '}'")
        else:
            literal, i = literal + text[i], i + 1
    if literal:
        parts.append(literal)
    return parts


def _read_parameter(text: str, i: int) -> tuple[str, int]:
    inner = ""
    while i < len(text):
        pair = text[i : i + 2]
        if pair in ("{{", "}}"):
            inner, i = inner + pair[0], i + 2
        elif text[i] == "}":
            return inner, i + 1
        else:
            inner, i = inner + text[i], i + 1
    raise RouteTemplateError("unclosed '{'")


def parse_parameter(inner: str) -> Parameter:
    """Parse the text between braces: `[*]name[:constraint[(args)]]...[?|=default]`."""
    catch_all = inner.startswith("*")
    body = inner.lstrip("*")
    end = next((i for i, c in enumerate(body) if c in _NAME_END), len(body))
    name, rest = body[:end].strip(), body[end:]
    if not name or any(c in name for c in "{}/*"):
        raise RouteTemplateError(f"bad parameter name in {{{inner}}}")
    constraints: list[Constraint] = []
    while rest.startswith(":"):
        constraint, rest = _read_constraint(rest[1:])
        constraints.append(constraint)
    optional, default = _read_suffix(inner, rest)
    if catch_all and optional:
        raise RouteTemplateError(f"catch-all {{{inner}}} cannot be optional")
    return Parameter(name, tuple(constraints), optional, default, catch_all)


def _read_constraint(text: str) -> tuple[Constraint, str]:
    end = next((i for i, c in enumerate(text) if c in "(:?="), len(text))
    name, rest = text[:end], text[end:]
    if not rest.startswith("("):
        return parse_constraint(name, None), rest
    # The argument ends at a ')' followed by the end, ':' , '?' or '=' (as in ASP.NET).
    for close in range(1, len(rest)):
        if rest[close] == ")" and rest[close + 1 : close + 2] in _CONSTRAINT_END:
            return parse_constraint(name, rest[1:close]), rest[close + 1 :]
    raise RouteTemplateError(f"constraint {name!r} has an unclosed '('")


def _read_suffix(inner: str, rest: str) -> tuple[bool, str | None]:
    if rest == "?":
        return True, None
    if rest.startswith("="):
        return False, rest[1:]
    if rest:
        raise RouteTemplateError(f"unexpected {rest!r} in {{{inner}}}")
    return False, None


def build_segment(parts: list[Part]) -> Segment:
    """Make a Segment; mixed literal/parameter segments get a regex for matching."""
    if not parts:
        raise RouteTemplateError("empty segment ('//')")
    if len(parts) == 1:
        return Segment((parts[0],))
    regex = ""
    for index, part in enumerate(parts):
        if isinstance(part, str):
            regex += re.escape(part)
            continue
        if part.catch_all:
            raise RouteTemplateError("a catch-all parameter must be a whole segment")
        if index and isinstance(parts[index - 1], Parameter):
            raise RouteTemplateError("two parameters need a literal between them")
        if (part.optional or part.default is not None) and index != len(parts) - 1:
            raise RouteTemplateError("an optional parameter must end its segment")
        regex = _append_parameter(regex, part, parts[index - 1] if index else None)
    return Segment(tuple(parts), re.compile(regex, re.IGNORECASE | re.DOTALL))


def _append_parameter(regex: str, param: Parameter, previous: Part | None) -> str:
    if not param.optional:
        return regex + "(.+)"
    if not isinstance(previous, str) or not previous.endswith("."):
        raise RouteTemplateError("an optional parameter in a mixed segment must follow a '.'")
    # As in ASP.NET, the optional value is what follows the last '.', so the part before
    # it must be lazy or it would swallow the whole segment.
    head = regex.removesuffix(re.escape("."))
    head = head.removesuffix("(.+)") + "(.+?)" if head.endswith("(.+)") else head
    return head + r"(?:\.([^.]+))?"


def parse_segments(template: str) -> list[Segment]:
    """Parse and validate a whole template (leading `/` or `~/` is ignored)."""
    text = template.removeprefix("~").removeprefix("/")
    segments = [build_segment(parse_parts(piece)) for piece in split_template(text)] if text else []
    _validate(segments)
    return segments


def _validate(segments: list[Segment]) -> None:
    seen: set[str] = set()
    for index, segment in enumerate(segments):
        for part in segment.parts:
            if isinstance(part, Parameter):
                if part.name.casefold() in seen:
                    raise RouteTemplateError(f"parameter {part.name!r} appears twice")
                seen.add(part.name.casefold())
        param = segment.parameter
        is_last = index == len(segments) - 1
        if param is not None and param.catch_all and not is_last:
            raise RouteTemplateError("a catch-all parameter must be the last segment")
        if segment.skippable and not all(later.skippable for later in segments[index:]):
            raise RouteTemplateError("optional parameters must be trailing segments")
        if segment.pattern is not None and not is_last and _has_optional(segment):
            raise RouteTemplateError("optional parameters must be trailing segments")


def _has_optional(segment: Segment) -> bool:
    return any(isinstance(part, Parameter) and part.optional for part in segment.parts)

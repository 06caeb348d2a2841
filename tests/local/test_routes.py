"""The pure route-template matcher: constraints, optional, catch-all, precedence, decoding."""

from __future__ import annotations

import pytest

from local.funchost.routes import RouteTemplateError, compile_route, join_route, split_path

GUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def values(template: str, path: str) -> dict[str, str] | None:
    """Compile and match in one go."""
    return compile_route(template).match(path)


@pytest.mark.parametrize(
    ("constraint", "accepted", "rejected"),
    [
        ("int", ["5", "-5", "+7", "2147483647"], ["x", "5.0", "2147483648", "1e3"]),
        ("long", ["9223372036854775807", "-3"], ["9223372036854775808", "1.5", "ten"]),
        ("bool", ["true", "FALSE", "True"], ["yes", "1", "t"]),
        (
            "guid",
            [GUID, GUID.upper(), GUID.replace("-", ""), f"{{{GUID}}}", f"({GUID})"],
            ["not-a-guid", GUID[:-1], GUID + "0", f"{{{GUID}"],
        ),
        ("alpha", ["abc", "ABCxyz"], ["abc1", "a-b", "é"]),
        (
            "datetime",
            ["2024-01-31", "2024-01-31T10:00:00", "2024-01-31T10:00:00Z", "01%2F31%2F2024"],
            ["2024-13-01", "tomorrow", "31"],
        ),
        ("decimal", ["1.5", "-3", "1,000.25", ".5"], ["1e5", "abc", "1.2.3", "NaN"]),
        ("double", ["1e5", "-1.5", "NaN", "Infinity", "-infinity", "2.5E-3"], ["1.2.3", "x"]),
        ("float", ["3.25", "1E10", "nan"], ["three", "1..2"]),
        ("minlength(3)", ["abc", "abcdef"], ["ab"]),
        ("maxlength(3)", ["a", "abc"], ["abcd"]),
        ("length(3)", ["abc"], ["ab", "abcd"]),
        ("length(2,4)", ["ab", "abcd"], ["a", "abcde"]),
        ("min(10)", ["10", "999"], ["9", "-10", "x"]),
        ("max(10)", ["10", "-50"], ["11", "x"]),
        ("range(1,5)", ["1", "3", "5"], ["0", "6", "x"]),
        (r"regex(^[a-z]{{2}}\d+$)", ["ab12", "AB3"], ["a12", "abc12", "ab12x"]),
        (r"regex(\d)", ["x1y"], ["xyz"]),  # ASP.NET does not anchor regex constraints
        ("int:min(1)", ["1", "42"], ["0", "-1", "x"]),
        ("alpha:length(2)", ["ab"], ["abc", "a1"]),
    ],
)
def test_constraint_accepts_and_rejects(
    constraint: str, accepted: list[str], rejected: list[str]
) -> None:
    template = compile_route(f"things/{{value:{constraint}}}")
    for value in accepted:
        assert template.match(f"things/{value}") is not None, value
    for value in rejected:
        assert template.match(f"things/{value}") is None, value


def test_constraint_value_is_returned_decoded_as_string() -> None:
    assert values("things/{when:datetime}", "things/01%2F31%2F2024") == {"when": "01/31/2024"}
    assert values("items/{id:int}", "items/42") == {"id": "42"}


def test_plain_parameter_takes_one_segment() -> None:
    assert values("users/{id}", "users/alice") == {"id": "alice"}
    assert values("users/{id}", "users/alice/extra") is None
    assert values("users/{id}", "users") is None
    assert values("users/{id}", "users//") is None


def test_optional_parameter_may_be_absent_but_constrained_when_present() -> None:
    template = compile_route("products/{category:alpha}/{id:int?}")
    assert template.match("products/books") == {"category": "books"}
    assert template.match("products/books/7") == {"category": "books", "id": "7"}
    assert template.match("products/books/seven") is None
    assert template.match("products/b00ks") is None
    assert values("a/{x?}", "a") == {}
    assert values("a/{x?}", "a/1") == {"x": "1"}


def test_default_value_fills_a_missing_segment() -> None:
    assert values("pages/{page:int=1}", "pages") == {"page": "1"}
    assert values("pages/{page:int=1}", "pages/3") == {"page": "3"}


@pytest.mark.parametrize("star", ["*", "**"])
def test_catch_all_takes_the_rest_including_slashes(star: str) -> None:
    template = compile_route(f"files/{{{star}path}}")
    assert template.match("files/a/b/c.txt") == {"path": "a/b/c.txt"}
    assert template.match("files/dir/my%20file.txt") == {"path": "dir/my file.txt"}
    assert template.match("files") == {}
    assert template.match("files/") == {}
    assert template.match("other/a") is None


def test_catch_all_constraint_applies_to_the_whole_rest() -> None:
    template = compile_route(r"docs/{*path:regex(\.md$)}")
    assert template.match("docs/a/b.md") == {"path": "a/b.md"}
    assert template.match("docs/a/b.txt") is None


def test_asgi_style_root_catch_all() -> None:
    assert values("/{*route}", "anything/at/all") == {"route": "anything/at/all"}


def test_literals_match_case_insensitively_and_values_keep_case() -> None:
    assert values("Items/{id}", "ITEMS/AbC") == {"id": "AbC"}
    assert values("items/{name}.json", "items/Report.JSON") == {"name": "Report"}


def test_path_is_url_decoded_per_segment() -> None:
    assert values("users/{name}", "users/J%C3%BCrgen%20M") == {"name": "Jürgen M"}
    # An encoded slash stays inside its segment instead of splitting it.
    assert values("users/{name}", "users/a%2Fb") == {"name": "a/b"}
    assert split_path("/api/x%20y/") == ["api", "x y"]


def test_trailing_slash_is_ignored() -> None:
    assert values("items/{id:int}", "/items/5/") == {"id": "5"}


def test_complex_segment_splits_on_the_last_literal() -> None:
    template = compile_route("files/{name}.{ext?}")
    assert template.match("files/archive.tar.gz") == {"name": "archive.tar", "ext": "gz"}
    assert template.match("files/README") == {"name": "README"}
    assert values("v/{a}-{b:int}", "v/x-y-3") == {"a": "x-y", "b": "3"}
    assert values("v/{a}-{b:int}", "v/x-y") is None


def test_precedence_prefers_literal_then_constrained_then_plain_then_catch_all() -> None:
    templates = [
        compile_route(text)
        for text in ["users/{*rest}", "users/{id}", "users/{id:int}", "users/me", "users/{n}.json"]
    ]
    ordered = sorted(templates, key=lambda template: template.precedence)
    assert [template.template for template in ordered] == [
        "users/me",
        "users/{n}.json",
        "users/{id:int}",
        "users/{id}",
        "users/{*rest}",
    ]


def test_precedence_compares_segment_by_segment() -> None:
    general = compile_route("items/{id}")
    specific = compile_route("items/{category:alpha}/{id:int?}")
    assert specific.precedence < general.precedence


@pytest.mark.parametrize(
    "template",
    [
        "a/{id",
        "a/id}",
        "a/{*rest}/b",
        "a/{id?}/b",
        "{x}{y}",
        "a/{x:unknown}",
        "{a}/{A}",
        "a//b",
        "a/{x:regex([)}",
        "a/{x:min(one)}",
        "a/{x:int(3)}",
        "a/{x:length}",
        "a/{*rest?}",
        "a/{}",
    ],
)
def test_invalid_templates_are_rejected_with_the_template_named(template: str) -> None:
    with pytest.raises(RouteTemplateError, match="invalid route template"):
        compile_route(template)


@pytest.mark.parametrize(
    ("prefix", "route", "joined"),
    [
        ("api", "items", "api/items"),
        ("", "items", "items"),
        ("/v1/", "items/{id}", "v1/items/{id}"),
        ("api", "/{*route}", "api/{*route}"),
        ("api", "", "api"),
    ],
)
def test_join_route(prefix: str, route: str, joined: str) -> None:
    assert join_route(prefix, route) == joined

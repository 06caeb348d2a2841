"""Read infra/bicep with tree-sitter-bicep: syntax errors, declarations, object keys."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BICEP_DIR = ROOT / "infra" / "bicep"


def require(module: str) -> Any:
    """Import a test-only dependency: skip where it is missing, fail in CI (CI=true)."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module)


tree_sitter = require("tree_sitter")  # pinned 0.26.1
tree_sitter_bicep = require("tree_sitter_bicep")  # pinned 1.1.0
Node = tree_sitter.Node


@cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))


@cache
def parse(path: Path) -> tree_sitter.Tree:
    """The syntax tree of one .bicep file."""
    return _parser().parse(path.read_bytes())


def bicep_files() -> list[Path]:
    """Every .bicep file of the infrastructure, main first."""
    files = sorted(BICEP_DIR.rglob("*.bicep"))
    return sorted(files, key=lambda p: p.name != "main.bicep")


def walk(node: Node) -> Iterator[Node]:
    """Depth-first: node and everything under it."""
    yield node
    for child in node.children:
        yield from walk(child)


def text(node: Node) -> str:
    return (node.text or b"").decode()


def string_value(node: Node) -> str:
    """A plain string literal's content ('abc' -> abc); interpolations kept as written."""
    raw = text(node)
    return raw[1:-1] if raw.startswith("'") and raw.endswith("'") else raw


@dataclass(frozen=True, slots=True)
class Problem:
    """A syntax error or missing node, 1-based position."""

    kind: str
    line: int
    column: int
    snippet: str


def syntax_problems(path: Path) -> list[Problem]:
    """ERROR and missing nodes of a file."""
    problems = []
    for node in walk(parse(path).root_node):
        if node.type == "ERROR" or node.is_missing:
            row, col = node.start_point
            kind = "missing " + node.type if node.is_missing else "ERROR"
            problems.append(Problem(kind, row + 1, col + 1, text(node)[:60]))
    return problems


def declarations(path: Path, kind: str) -> list[Node]:
    """Top-level nodes of a kind: resource_declaration, module_declaration, output_declaration..."""
    return [n for n in parse(path).root_node.children if n.type == kind]


def declared_name(node: Node) -> str:
    return text(next(c for c in node.children if c.type == "identifier"))


def declared_string(node: Node) -> str:
    """The first string child: a resource's 'Type@version' or a module's path."""
    return string_value(next(c for c in node.children if c.type == "string"))


def object_keys(obj: Node) -> list[str]:
    """The property names of an object literal (identifier or quoted)."""
    keys = []
    for prop in obj.children:
        if prop.type == "object_property":
            key = prop.children[0]
            keys.append(string_value(key) if key.type == "string" else text(key))
    return keys


def variable_object(path: Path, name: str) -> Node:
    """The object literal assigned to `var name = {...}`."""
    for node in declarations(path, "variable_declaration"):
        if declared_name(node) == name:
            return next(c for c in node.children if c.type == "object")
    raise AssertionError(f"{path}: no var {name} = {{...}}")


def object_property(obj: Node, key: str) -> Node:
    """The value node of key in an object literal."""
    for prop in obj.children:
        if prop.type == "object_property" and object_keys_of(prop) == key:
            return prop.children[-1]
    raise KeyError(key)


def object_keys_of(prop: Node) -> str:
    key = prop.children[0]
    return string_value(key) if key.type == "string" else text(key)


UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")

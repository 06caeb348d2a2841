"""Check ESPI elements against the shipped NAESB REQ.21 schema excerpt (names and order)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

XSD = Path(__file__).resolve().parents[1] / "data" / "espi" / "espi-excerpt.xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"
ESPI = "{http://naesb.org/espi}"


@dataclass(frozen=True)
class Child:
    """One declared element of a complex type's content, in schema order."""

    name: str
    type: str
    required: bool


def load_types(path: Path = XSD) -> dict[str, list[Child]]:
    """Map each complex type to its elements, base types' elements first."""
    root = ET.parse(path).getroot()
    own: dict[str, tuple[str | None, list[Child]]] = {}
    for ctype in root.findall(f"{XS}complexType"):
        extension = ctype.find(f"{XS}complexContent/{XS}extension")
        holder = extension if extension is not None else ctype
        children = [
            Child(e.attrib["name"], e.attrib["type"], e.attrib.get("minOccurs", "1") != "0")
            for e in holder.findall(f"{XS}sequence/{XS}element")
        ]
        base = extension.attrib["base"] if extension is not None else None
        own[ctype.attrib["name"]] = (base, children)

    def flat(name: str) -> list[Child]:
        base, children = own[name]
        return (flat(base) if base else []) + children

    return {name: flat(name) for name in own}


def violations(element: ET.Element, type_name: str, types: dict[str, list[Child]]) -> list[str]:
    """Every way `element` breaks its type's element names, order or required elements."""
    declared = types[type_name]
    order = {child.name: i for i, child in enumerate(declared)}
    problems: list[str] = []
    last = -1
    seen: set[str] = set()
    for sub in element:
        if not sub.tag.startswith(ESPI):
            problems.append(f"{type_name}: {sub.tag} is not in the ESPI namespace")
            continue
        name = sub.tag[len(ESPI) :]
        if name not in order:
            problems.append(f"{type_name}: undeclared element {name}")
            continue
        if order[name] < last:
            problems.append(f"{type_name}: {name} is out of order")
        last = order[name]
        seen.add(name)
        child_type = declared[order[name]].type
        if child_type in types:
            problems += violations(sub, child_type, types)
    problems += [
        f"{type_name}: required {c.name} missing"
        for c in declared
        if c.required and c.name not in seen
    ]
    return problems

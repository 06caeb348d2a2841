"""The repository documents itself: links in README.md and docs/ resolve, nothing cites the kit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = REPO_ROOT / "docs"
PAGES = [REPO_ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
# Pages other branches add (linked from docs/README.md before they are merged).
PENDING = {
    "alerts.md",
    "security.md",
    "consumption.md",
    "deployment.md",
    "operations-console.md",
    "functions-host.md",
}
LINK = re.compile(r"\]\(([^)\s]+)\)")
SKIPPED_DIRS = {"node_modules", "dist", "var", "build", "htmlcov", "__pycache__"}
SCANNED = {".py", ".pyi", ".ts", ".md", ".proto", ".bicep", ".yaml", ".yml", ".json", ".toml"}
# Section citations of the team kit's design notes, which are not part of the repository.
KIT_CITATION = re.compile(r"ARCHITECTURE(\.md)? §|contracts\.md §|field notes §", re.IGNORECASE)


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {
        slug(line.lstrip("#"))
        for line in page.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    }


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path_part, _, fragment = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        if not linked.exists():
            if not (linked.parent == DOCS and linked.name in PENDING):
                broken.append(target)
            continue
        if fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(target)
    assert broken == [], f"{page.relative_to(REPO_ROOT)}: broken links {broken}"


def test_the_index_lists_every_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    listed = {target.partition("#")[0] for target in LINK.findall(index)}
    pages = {p.name for p in DOCS.glob("*.md")} - {"README.md"}
    assert pages - listed == set()


def test_no_file_cites_the_kits_design_notes() -> None:
    citing = []
    for path in REPO_ROOT.rglob("*"):
        parts = path.relative_to(REPO_ROOT).parts
        hidden = any(part.startswith(".") for part in parts[:-1])
        if hidden or SKIPPED_DIRS & set(parts) or path.suffix not in SCANNED:
            continue
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if KIT_CITATION.search(line):
                citing.append(f"{path.relative_to(REPO_ROOT)}:{number}")
    assert citing == [], "point these at docs/ instead: " + ", ".join(citing)

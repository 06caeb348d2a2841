"""The repository-root build context: what `docker build` would send, by docker-py's matcher.

functions/, chat_container/ and local/webpubsub/ build from the repository root, so without a
root .dockerignore the context would carry .venv, node_modules, .git, var/ (databases) and .env
files. docker-py's `exclude_paths` implements the .dockerignore rules Docker's CLI applies.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from docker.utils.build import exclude_paths

from tests.deploy.compose import ROOT, raw_model

JUNK = [
    ".venv/lib/python3.11/site-packages/x.py",
    ".git/HEAD",
    "static_site/node_modules/vite/index.js",
    "node_modules/x/index.js",
    "var/energy.db",
    "shared/__pycache__/db.cpython-311.pyc",
    "local/.env",
    "functions/local.settings.json",
    "static_site/dist/index.html",
    "build/functionapp.zip",
]


def _root_context_dockerfiles() -> list[Path]:
    found = []
    for service in raw_model()["services"].values():
        build = service.get("build")
        if isinstance(build, dict) and build.get("context") == "..":
            found.append(ROOT / build["dockerfile"])
    return sorted(set(found))


def _copy_sources(dockerfile: Path) -> list[str]:
    sources: list[str] = []
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if words and words[0] in ("COPY", "ADD") and not any(w.startswith("--from") for w in words):
            sources.extend(w.rstrip("/") for w in words[1:-1] if not w.startswith("--"))
    return sources


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The files of a checkout plus typical local junk, minus what .dockerignore excludes."""
    tree = tmp_path_factory.mktemp("context")
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for name in [*tracked, ".dockerignore"]:
        source = ROOT / name
        if source.is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tree / name)
    for name in JUNK:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text("junk")
    ignore_file = ROOT / ".dockerignore"
    assert ignore_file.is_file(), "no .dockerignore at the repository root"
    patterns = [
        line.strip()
        for line in ignore_file.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return {p for p in exclude_paths(str(tree), patterns) if (tree / p).is_file()}


def test_the_root_context_leaves_local_state_and_secrets_out(context: set[str]) -> None:
    assert not [name for name in JUNK if name in context]
    assert not [n for n in context if n.startswith((".venv/", ".git/", "tests/", "static_site/"))]


def test_every_root_context_image_still_gets_what_it_copies(context: set[str]) -> None:
    dockerfiles = _root_context_dockerfiles()
    assert {d.relative_to(ROOT).as_posix() for d in dockerfiles} >= {
        "functions/Dockerfile",
        "chat_container/Dockerfile",
        "local/webpubsub/Dockerfile",
    }
    for dockerfile in dockerfiles:
        for source in _copy_sources(dockerfile):
            assert source in context or any(n.startswith(f"{source}/") for n in context), (
                f"{dockerfile.relative_to(ROOT)}: COPY {source} would find nothing"
            )
    assert "shared/migrations/versions/0003_chat.py" in context
    assert "chat_container/gen/energy/chat/v1/chat_pb2.py" in context

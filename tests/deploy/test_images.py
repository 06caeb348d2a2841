"""Image contents simulated without Docker: the same COPY sources and RUN commands, here."""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from infra import package
from tests.deploy.compose import ROOT

WWWROOT = "/home/site/wwwroot"


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with backslash continuations joined, comments dropped."""
    joined, current = [], ""
    for line in dockerfile.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            joined.append(current.strip())
            current = ""
    return [(line.split(" ", 1)[0].upper(), line.split(" ", 1)[1]) for line in joined]


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_functions_image_holds_the_same_app_as_the_artifact(tmp_path: Path) -> None:
    """functions/Dockerfile's COPY + cleanup RUN give exactly `python -m infra.package`'s tree."""
    image_root = tmp_path / "image"
    wwwroot = image_root / WWWROOT.lstrip("/")
    steps = _instructions(ROOT / "functions" / "Dockerfile")
    for instruction, args in steps:
        if instruction == "COPY":
            source, dest = args.split()
            if not dest.startswith(WWWROOT):
                continue
            target = image_root / dest.lstrip("/")
            shutil.copytree(ROOT / source, target, dirs_exist_ok=True)
        elif instruction == "RUN" and args.startswith(f"cd {WWWROOT}"):
            command = args.replace(WWWROOT, str(wwwroot))
            subprocess.run(["sh", "-c", command], check=True)
    tree, _ = package.build(ROOT, tmp_path / "artifact")
    image_files = {f for f in _files(wwwroot) if not _untracked(f)}
    assert image_files == _files(tree)


def _tracked() -> set[str]:
    """Paths git tracks under functions/ and shared/ (the artifact ships tracked files only)."""
    result = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "functions", "shared"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(result.stdout.split())


def _untracked(relative: str) -> bool:
    """An image file whose source is not tracked by git (a local leftover, not shipped)."""
    source = relative if relative.startswith("shared/") else f"functions/{relative}"
    return source not in _TRACKED


_TRACKED = _tracked()


def _dockerignore(context: Path) -> list[str]:
    path = context / ".dockerignore"
    lines = path.read_text().splitlines() if path.exists() else []
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _copy_context(context: Path, dest: Path) -> None:
    patterns = _dockerignore(context)

    def ignore(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(context)
        return {
            name
            for name in names
            if any(fnmatch.fnmatch((relative / name).as_posix(), p) for p in patterns)
        }

    shutil.copytree(context, dest, ignore=ignore)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None, reason="npm not installed")
def test_web_image_build_stage_runs_on_its_context(tmp_path: Path) -> None:
    """static_site/Dockerfile's build stage, on the context .dockerignore lets through."""
    context = ROOT / "static_site"
    work = tmp_path / "src"
    _copy_context(context, work)
    assert not (work / "node_modules").exists()
    assert not (work / "dist").exists()
    env = dict(os.environ, VITE_API_BASE_URL="/api")
    build_stage = []
    for instruction, args in _instructions(context / "Dockerfile"):
        if instruction == "FROM" and build_stage:
            break
        build_stage.append((instruction, args))
    runs = [args for instruction, args in build_stage if instruction == "RUN"]
    assert runs == ["npm ci --no-audit --no-fund", "npm run build"]
    for command in runs:
        result = subprocess.run(
            ["sh", "-c", command], cwd=work, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (work / "dist" / "index.html").is_file()
    assert any((work / "dist" / "assets").glob("*.js"))

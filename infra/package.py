"""Build the function app's deployment artifact: functions/ with shared/ copied inside.

`python -m infra.package` writes `build/functionapp/` (the unpacked tree azd deploys) and
`build/functionapp.zip` (for `az functionapp deployment source config-zip` or OneDeploy).
The app imports `shared` from its own root, so nothing touches sys.path at run time.
Standard library only: azd runs it as a hook before packaging.
"""

from __future__ import annotations

import argparse
import fnmatch
import logging
import shutil
import subprocess
import zipfile
from collections.abc import Iterable
from pathlib import Path

logger = logging.getLogger("infra.package")
REPO_ROOT = Path(__file__).resolve().parents[1]
APP_DIR = "functions"
BUNDLED_PACKAGES = ("shared",)
# Never shipped: tests, caches, local secrets, editor and tooling files.
EXCLUDED_PARTS = frozenset(
    {"tests", "__pycache__", ".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
)
EXCLUDED_NAMES = (
    "*.pyc",
    "local.settings.json",
    "local.settings.example.json",
    ".funcignore",
    "test.http",
    "Dockerfile",
    ".dockerignore",
)
REQUIRED = ("function_app.py", "host.json", "requirements.txt", "shared/__init__.py")
# Fixed timestamp so that the same sources give a byte-identical zip.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def is_shipped(relative: Path) -> bool:
    """True when a path relative to functions/ or the repo belongs in the artifact."""
    if any(part in EXCLUDED_PARTS for part in relative.parts):
        return False
    return not any(fnmatch.fnmatch(relative.name, pattern) for pattern in EXCLUDED_NAMES)


def _tracked_files(source: Path, folder: str) -> list[Path] | None:
    """Files git tracks under folder (relative to it), or None when source is no git checkout."""
    if not (source / ".git").exists():
        return None
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        ["git", "-C", str(source), "ls-files", "-z", "--", folder],  # noqa: S607
        capture_output=True,
        check=True,
    )
    names = [name for name in result.stdout.decode().split("\0") if name]
    return [Path(name).relative_to(folder) for name in names if (source / name).is_file()]


def source_files(source: Path, folder: str) -> list[Path]:
    """The shippable files under source/folder, relative to it, sorted."""
    tracked = _tracked_files(source, folder)
    if tracked is None:
        base = source / folder
        tracked = [path.relative_to(base) for path in base.rglob("*") if path.is_file()]
    return sorted(path for path in tracked if is_shipped(path))


def _copy(source_dir: Path, files: Iterable[Path], dest_dir: Path) -> None:
    for relative in files:
        target = dest_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source_dir / relative, target)


def build_tree(source: Path, out_dir: Path) -> Path:
    """Assemble the unpacked artifact at out_dir/functionapp and return its path."""
    tree = out_dir / "functionapp"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    _copy(source / APP_DIR, source_files(source, APP_DIR), tree)
    for package in BUNDLED_PACKAGES:
        if (tree / package).exists():
            raise RuntimeError(f"{APP_DIR}/{package} would be overwritten by the bundled copy")
        _copy(source / package, source_files(source, package), tree / package)
    missing = [name for name in REQUIRED if not (tree / name).is_file()]
    if missing:
        raise RuntimeError(f"artifact is missing {', '.join(missing)} (source {source})")
    return tree


def write_zip(tree: Path, zip_path: Path) -> Path:
    """Zip the tree with sorted entries and fixed timestamps (reproducible)."""
    zip_path.unlink(missing_ok=True)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in tree.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return zip_path


def build(source: Path = REPO_ROOT, out_dir: Path | None = None) -> tuple[Path, Path]:
    """Build tree and zip from a checkout; returns (tree, zip)."""
    out = out_dir if out_dir is not None else source / "build"
    tree = build_tree(source, out)
    return tree, write_zip(tree, out / "functionapp.zip")


def main(argv: list[str] | None = None) -> int:
    """CLI: python -m infra.package [--source DIR] [--out DIR]."""
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__)
    parser.add_argument("--source", type=Path, default=REPO_ROOT, help="checkout to package")
    parser.add_argument("--out", type=Path, default=None, help="output folder (SOURCE/build)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    tree, zip_path = build(args.source.resolve(), args.out.resolve() if args.out else None)
    count = sum(1 for p in tree.rglob("*") if p.is_file())
    logger.info("function app artifact: %s (%d files) and %s", tree, count, zip_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

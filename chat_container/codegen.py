"""Regenerate the Python code for the chat protos: python -m chat_container.codegen.

protoc runs with the include root `chat_container/proto`, so descriptors keep their canonical
names (`energy/chat/v1/chat.proto`, the same the TypeScript client uses). protoc's Python plugins
then write absolute imports such as `from energy.chat.v1 import chat_pb2`; this command rewrites
exactly those module references to `chat_container.gen.energy.chat.v1...` so the generated
package imports without touching sys.path. Output: `*_pb2.py`, `*_pb2_grpc.py` and mypy-protobuf
stubs (`*.pyi`) for both, plus empty `__init__.py` files. Never edit the output by hand.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROTO_ROOT = PACKAGE_DIR / "proto"
GEN_DIR = PACKAGE_DIR / "gen"
GEN_MODULE = "chat_container.gen"


def proto_files(root: Path = PROTO_ROOT) -> list[Path]:
    """Return the .proto files under root, relative to it, in a stable order."""
    return sorted(path.relative_to(root) for path in root.rglob("*.proto"))


def _plugin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    found = candidate if candidate.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: install mypy-protobuf in this environment")
    return str(found)


def _run_protoc(out_dir: Path) -> None:
    from grpc_tools import protoc  # type: ignore[import-untyped]

    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{Path(protoc.__file__).parent / '_proto'}",
        f"--plugin=protoc-gen-mypy={_plugin('protoc-gen-mypy')}",
        f"--plugin=protoc-gen-mypy_grpc={_plugin('protoc-gen-mypy_grpc')}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--mypy_out={out_dir}",
        f"--mypy_grpc_out={out_dir}",
        *(str(path) for path in proto_files()),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def rewrite_imports(source: str, modules: list[str]) -> str:
    """Point absolute references to our generated modules into the gen package."""
    for module in modules:
        package, _, name = module.rpartition(".")
        source = re.sub(
            rf"^from {re.escape(package)} import {re.escape(name)}\b",
            f"from {GEN_MODULE}.{package} import {name}",
            source,
            flags=re.MULTILINE,
        )
        source = re.sub(rf"(?<![\w./]){re.escape(module)}\b", f"{GEN_MODULE}.{module}", source)
    return source


def generate(out_dir: Path) -> list[Path]:
    """Generate into out_dir (replacing what is there); return the files written."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    _run_protoc(out_dir)
    modules = [str(p.with_suffix("")).replace("/", ".") + "_pb2" for p in proto_files()]
    written = []
    for path in sorted(out_dir.rglob("*.py*")):
        if path.suffix in {".py", ".pyi"}:
            path.write_text(rewrite_imports(path.read_text(), modules))
            written.append(path)
    for directory in sorted({out_dir, *(p.parent for p in written)}):
        while True:
            init = directory / "__init__.py"
            if not init.exists():
                init.write_text("")
                written.append(init)
            if directory == out_dir:
                break
            directory = directory.parent
    return sorted(written)


def main() -> None:
    """CLI: regenerate chat_container/gen (or --out DIR)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--out", type=Path, default=GEN_DIR)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "gen"
        generate(staged)
        if args.out.exists():
            shutil.rmtree(args.out)
        shutil.copytree(staged, args.out)


if __name__ == "__main__":
    main()

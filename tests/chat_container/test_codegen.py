"""The committed generated code is exactly what `python -m chat_container.codegen` produces."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chat_container import codegen as gen


def test_regenerating_produces_the_committed_files(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    subprocess.run(
        [sys.executable, "-m", "chat_container.codegen", "--out", str(out)],
        check=True,
        capture_output=True,
        cwd=Path(gen.__file__).resolve().parents[1],
    )
    fresh = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    committed = {
        p.relative_to(gen.GEN_DIR): p.read_bytes()
        for p in gen.GEN_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert sorted(fresh) == sorted(committed)
    for name, content in fresh.items():
        assert committed[name] == content, f"{name} differs: run python -m chat_container.codegen"


def test_generated_imports_resolve_inside_the_package() -> None:
    from chat_container.gen.energy.chat.v1 import chat_pb2, chat_pb2_grpc

    assert chat_pb2.DESCRIPTOR.name == "energy/chat/v1/chat.proto"
    assert chat_pb2_grpc.ChatServiceStub.__module__.startswith("chat_container.gen.")


def test_import_rewrite_touches_module_references_only() -> None:
    source = (
        "from energy.chat.v1 import chat_pb2 as x\n"
        "import energy.chat.v1.chat_pb2\n"
        "y: energy.chat.v1.chat_pb2.ChatEvent\n"
        "path = '/energy.chat.v1.ChatService/Subscribe'\n"
    )
    rewritten = gen.rewrite_imports(source, ["energy.chat.v1.chat_pb2"])
    assert rewritten == (
        "from chat_container.gen.energy.chat.v1 import chat_pb2 as x\n"
        "import chat_container.gen.energy.chat.v1.chat_pb2\n"
        "y: chat_container.gen.energy.chat.v1.chat_pb2.ChatEvent\n"
        "path = '/energy.chat.v1.ChatService/Subscribe'\n"
    )


def test_the_dockerfile_is_pinned_non_root_and_runs_the_module() -> None:
    dockerfile = (gen.PACKAGE_DIR / "Dockerfile").read_text()
    assert "FROM python:3.11." in dockerfile and "-slim" in dockerfile
    assert "USER chat" in dockerfile
    assert (
        "COPY shared/ shared/" in dockerfile
        and "COPY chat_container/ chat_container/" in dockerfile
    )
    assert 'CMD ["python", "-m", "chat_container"]' in dockerfile
    for package in ("grpcio==", "grpcio-health-checking==", "protobuf==", "aio-pika=="):
        assert package in dockerfile

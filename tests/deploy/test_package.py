"""The function app artifact: built from a clean checkout, it imports and indexes on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from infra import package
from local.funchost.server import load_function_app

ROOT = Path(__file__).resolve().parents[2]

# Routes of the REST contract (docs/contracts.md) that must be indexed by the host.
CONTRACT_ROUTES = {
    ("POST", "auth/login"),
    ("POST", "auth/refresh"),
    ("GET", "auth/me"),
    ("GET", "users"),
    ("GET", "devices"),
    ("GET", "me/devices"),
    ("GET", "me/devices/{id}/consumption"),
    ("GET", "me/alerts"),
    ("POST", "realtime/negotiate"),
    ("POST", "measurements"),
    ("GET", "health"),
}

# Run inside the artifact's own virtualenv: what the Azure host indexes (name, trigger, route).
LIST_FUNCTIONS = """
import json, sys, function_app, shared
out = {"shared": shared.__file__, "functions": []}
for fn in function_app.app.get_functions():
    spec = json.loads(fn.get_function_json())
    trigger = fn.get_trigger()
    binding = next(b for b in spec["bindings"] if b["type"] == trigger.type)
    out["functions"].append({
        "name": fn.get_function_name(), "trigger": trigger.type,
        "route": binding.get("route"), "methods": binding.get("methods"),
        "queue": binding.get("queueName"),
        "connection": binding.get("connection") or binding.get("connectionStringSetting"),
    })
json.dump(out, sys.stdout)
"""


def test_tree_has_the_app_and_shared_but_no_tests_or_local_files(tmp_path: Path) -> None:
    tree, zip_path = package.build(ROOT, tmp_path)
    names = {p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file()}
    for required in ("function_app.py", "openapi.py", "host.json", "requirements.txt"):
        assert required in names
    assert "routes/ingest.py" in names
    assert "shared/settings.py" in names
    assert "shared/migrations/env.py" in names
    assert any(n.startswith("shared/migrations/versions/") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith("tests/") or "/tests/" in n]
    assert "local.settings.json" not in names
    assert "local.settings.example.json" not in names
    with zipfile.ZipFile(zip_path) as archive:
        assert set(archive.namelist()) == names


def test_zip_is_reproducible(tmp_path: Path) -> None:
    _, first = package.build(ROOT, tmp_path / "a")
    _, second = package.build(ROOT, tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()


def test_is_shipped_rules() -> None:
    assert package.is_shipped(Path("routes/auth.py"))
    assert not package.is_shipped(Path("tests/test_x.py"))
    assert not package.is_shipped(Path("routes/__pycache__/auth.cpython-311.pyc"))
    assert not package.is_shipped(Path("local.settings.json"))
    assert not package.is_shipped(Path("Dockerfile"))


def _clean_export(dest: Path) -> Path:
    """`git archive HEAD` unpacked into dest: only committed files, no .git."""
    tar_path = dest.parent / "head.tar"
    subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(tar_path), "HEAD"],
        check=True,
    )
    with tarfile.open(tar_path) as archive:
        archive.extractall(dest, filter="data")
    return dest


def _artifact_env(transport: str) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["MEASUREMENTS_TRANSPORT"] = transport
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _index(python: Path, app_dir: Path, transport: str) -> dict[str, object]:
    result = subprocess.run(
        [str(python), "-I", "-c", f"import sys; sys.path.insert(0, '.')\n{LIST_FUNCTIONS}"],
        cwd=app_dir,
        env=_artifact_env(transport),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# Run with the project's interpreter: the artifact's own modules first, then our worker rules.
VALIDATE_FUNCTIONS = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import function_app
from local.funchost.worker_index import FunctionLoadError, validate_function
result = {"indexed": [], "refused": []}
for fn in function_app.app.get_functions():
    try:
        validate_function(fn)
        result["indexed"].append(fn.get_function_name())
    except FunctionLoadError as exc:
        result["refused"].append(str(exc))
json.dump(result, sys.stdout)
"""


def _worker_validate(app_dir: Path, transport: str) -> dict[str, list[str]]:
    """Index the deployed tree with the Python worker's rules (local.funchost.worker_index)."""
    env = {**_artifact_env(transport), "PYTHONPATH": ""}
    result = subprocess.run(
        [sys.executable, "-I", "-c", VALIDATE_FUNCTIONS, str(app_dir), str(ROOT)],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _source_http_routes() -> set[tuple[str, str]]:
    # A fresh import: an app object indexed earlier in this process cannot be indexed again.
    app = load_function_app(ROOT / "functions" / "function_app.py")

    routes = set()
    for fn in app.get_functions():
        trigger = fn.get_trigger()
        if trigger.type == "httpTrigger":
            for method in json.loads(fn.get_function_json())["bindings"][0]["methods"]:
                routes.add((method, trigger.route))
    return routes


@pytest.mark.slow
def test_artifact_from_clean_checkout_installs_and_indexes(tmp_path: Path) -> None:
    checkout = _clean_export(tmp_path / "checkout")
    _tree, zip_path = package.build(checkout, tmp_path / "out")
    # Deploy what the zip holds, not the tree it was made from.
    app_dir = tmp_path / "wwwroot"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(app_dir)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", str(app_dir / "requirements.txt")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]

    expected_http = _source_http_routes()
    assert expected_http >= CONTRACT_ROUTES
    for transport, trigger, queue, connection in (
        ("servicebus", "serviceBusTrigger", "measurements", "SERVICEBUS_CONNECTION"),
        ("rabbitmq", "rabbitMQTrigger", "measurements", "RABBITMQ_URL"),
        ("none", None, None, None),
    ):
        indexed = _index(python, app_dir, transport)
        verdict = _worker_validate(app_dir, transport)
        assert verdict["refused"] == [], transport  # the worker would find 0 functions
        assert len(verdict["indexed"]) == len(indexed["functions"]), transport  # type: ignore[arg-type]
        assert Path(str(indexed["shared"])).resolve().is_relative_to(app_dir.resolve())
        functions = indexed["functions"]
        assert isinstance(functions, list)
        http = {(m, f["route"]) for f in functions if f["trigger"] == "httpTrigger"
                for m in f["methods"]}  # fmt: skip
        assert http == expected_http, transport
        ingest = [f for f in functions if f["name"] == "ingest_measurements"]
        if trigger is None:
            assert ingest == []
            continue
        assert len(ingest) == 1, transport
        assert ingest[0]["trigger"] == trigger
        assert ingest[0]["queue"] == queue
        assert ingest[0]["connection"] == connection
        names = [f["name"] for f in functions]
        assert len(names) == len(set(names)), "function names must be unique for the host"


def test_command_line_writes_tree_and_zip(tmp_path: Path) -> None:
    assert package.main(["--source", str(ROOT), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "functionapp" / "function_app.py").is_file()
    assert (tmp_path / "functionapp" / "shared" / "settings.py").is_file()
    assert zipfile.is_zipfile(tmp_path / "functionapp.zip")


def test_refuses_a_tree_without_the_app(tmp_path: Path) -> None:
    (tmp_path / "functions").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "__init__.py").write_text("")
    with pytest.raises(RuntimeError, match=r"function_app\.py"):
        package.build(tmp_path, tmp_path / "out")

"""The azd hooks: the web app learns the API and chat URLs; migrations run after a deploy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from local.azd import HookError, write_web_config
from tests.deploy.compose import ROOT

OUTPUTS = {
    "API_BASE_URL": "https://func-api-abc.azurewebsites.net/api",
    "CHAT_GRPC_WEB_URL": "https://ca-chat-abc.westeurope.azurecontainerapps.io",
    "AZURE_RESOURCE_GROUP": "rg-energy-dev",
    "MIGRATION_JOB_NAME": "ca-chat-abc-migrate",
    "SERVICE_CHAT_IMAGE_NAME": "crabc.azurecr.io/energy-platform/chat-dev:azd-deploy-1",
}
# Stands in for the Azure CLI: records each call, answers like `az` would with --query/-o tsv.
FAKE_AZ = """#!/bin/sh
echo "$*" >> "$AZ_LOG"
case "$*" in
  *"job update"*) exit 0 ;;
  *"job start"*) echo "ca-chat-abc-migrate-x1y2z" ;;
  *"execution show"*)
    n=$(wc -l < "$AZ_LOG")
    if [ "$n" -ge 5 ]; then echo "$FINAL_STATUS"; else echo "Running"; fi ;;
  *) echo "unexpected: $*" >&2; exit 3 ;;
esac
"""


def test_web_config_gives_vite_the_api_url_and_the_browser_the_chat_url(tmp_path: Path) -> None:
    dotenv, runtime = write_web_config(OUTPUTS, site=tmp_path)
    assert dotenv.read_text().splitlines()[-1] == f"VITE_API_BASE_URL={OUTPUTS['API_BASE_URL']}"
    assert json.loads(runtime.read_text()) == {"chatBaseUrl": OUTPUTS["CHAT_GRPC_WEB_URL"]}
    assert runtime == tmp_path / "public" / "config.json"  # Vite copies public/ into dist/
    with pytest.raises(HookError, match="CHAT_GRPC_WEB_URL"):
        write_web_config({"API_BASE_URL": OUTPUTS["API_BASE_URL"]}, site=tmp_path)
    with pytest.raises(HookError, match="https"):
        write_web_config({**OUTPUTS, "API_BASE_URL": "http://plain.example/api"}, site=tmp_path)


def test_generated_files_are_not_committed() -> None:
    for name in ("static_site/.env.production.local", "static_site/public/config.json"):
        ignored = subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT)
        assert ignored.returncode == 0, f"{name} is not git-ignored"


def _run_migrate(tmp_path: Path, final: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "az").write_text(FAKE_AZ)
    (bin_dir / "az").chmod(0o755)
    log = tmp_path / f"az-{final}.log"
    env = {
        **os.environ,
        **OUTPUTS,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "AZ_LOG": str(log),
        "FINAL_STATUS": final,
    }
    script = "import local.azd as a; a.POLL_S = 0.01; raise SystemExit(a.main(['migrate']))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done, log.read_text().splitlines()


def test_migrate_runs_the_job_on_the_new_image_and_waits_for_success(tmp_path: Path) -> None:
    done, calls = _run_migrate(tmp_path, "Succeeded")
    assert done.returncode == 0, done.stderr
    assert calls[0].startswith("containerapp job update --resource-group rg-energy-dev")
    assert f"--image {OUTPUTS['SERVICE_CHAT_IMAGE_NAME']}" in calls[0]
    assert calls[1].startswith("containerapp job start")
    assert all("--job-execution-name ca-chat-abc-migrate-x1y2z" in c for c in calls[2:])
    assert len(calls) >= 5  # it polled until the execution finished


def test_a_failed_migration_fails_the_deploy(tmp_path: Path) -> None:
    done, _ = _run_migrate(tmp_path, "Failed")
    assert done.returncode == 1
    assert "ended Failed" in done.stderr and "az containerapp job logs show" in done.stderr


def test_azure_yaml_runs_the_hooks_where_they_belong() -> None:
    services = yaml.safe_load((ROOT / "azure.yaml").read_text())["services"]
    for service, hook, command in (
        ("web", "prepackage", "-m local.azd web-config"),
        ("chat", "postdeploy", "-m local.azd migrate"),
    ):
        hooks = services[service]["hooks"][hook]
        for shell in ("posix", "windows"):
            assert command in hooks[shell]["run"], (service, hook, shell)
    main = (ROOT / "infra" / "bicep" / "main.bicep").read_text()
    for name in OUTPUTS:
        if name != "SERVICE_CHAT_IMAGE_NAME":  # set by azd itself after pushing the image
            assert f"output {name} " in main, name

"""azd hooks (azure.yaml): the web app's build-time settings, and migrations after a deploy.

    python -m local.azd web-config   # web prepackage: where the API and the chat are
    python -m local.azd migrate      # chat postdeploy: run the migration job and wait for it

azd runs hooks with the environment's values (the outputs of infra/bicep/main.bicep) in the
process environment. `web-config` writes static_site/.env.production.local (VITE_API_BASE_URL:
the function app's own URL, read by Vite at build time) and static_site/public/config.json
(chatBaseUrl: the chat's gRPC-Web URL, read by the browser at start; Vite copies public/ into
dist/). `migrate` points the Container Apps job at the image azd just pushed, starts it and
waits for the execution to succeed, with the Azure CLI.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
STATIC_SITE = REPO_ROOT / "static_site"
DONE = {"Succeeded"}
FAILED = {"Failed", "Stopped", "Degraded"}
POLL_S = 5.0
TIMEOUT_S = 900.0

Runner = Callable[[Sequence[str]], str]


class HookError(RuntimeError):
    """A hook cannot do its job; the message says why."""


def _required(env: Mapping[str, str], *names: str) -> list[str]:
    missing = [name for name in names if not env.get(name, "").strip()]
    if missing:
        raise HookError(f"azd environment lacks {', '.join(missing)} (run `azd provision` first)")
    return [env[name].strip() for name in names]


def _https_url(name: str, value: str) -> str:
    if not value.startswith("https://"):
        raise HookError(f"{name} must be an https:// URL, got {value!r}")
    return value.rstrip("/")


def write_web_config(env: Mapping[str, str], site: Path = STATIC_SITE) -> tuple[Path, Path]:
    """Write the web app's build-time API URL and runtime chat URL; return the two files."""
    api, chat = _required(env, "API_BASE_URL", "CHAT_GRPC_WEB_URL")
    dotenv = site / ".env.production.local"
    dotenv.write_text(
        "# Written by `python -m local.azd web-config` (azd prepackage hook); not committed.\n"
        f"VITE_API_BASE_URL={_https_url('API_BASE_URL', api)}\n"
    )
    runtime = site / "public" / "config.json"
    runtime.parent.mkdir(parents=True, exist_ok=True)
    runtime.write_text(json.dumps({"chatBaseUrl": _https_url("CHAT_GRPC_WEB_URL", chat)}) + "\n")
    return dotenv, runtime


def az(args: Sequence[str]) -> str:
    """Run the Azure CLI; its stdout, stripped (a failure raises HookError with its stderr)."""
    program = shutil.which("az")
    if program is None:
        raise HookError("the Azure CLI (az) is not installed; see infra/README.md")
    done = subprocess.run(  # noqa: S603 - fixed program, argv built here, no shell
        [program, *args], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise HookError(f"az {' '.join(args[:3])} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def run_migrations(
    env: Mapping[str, str],
    run: Runner = az,
    *,
    sleep: Callable[[float], None] = time.sleep,
    timeout_s: float = TIMEOUT_S,
) -> str:
    """Start the migration job on the pushed chat image; wait until it succeeds. The execution."""
    group, job, image = _required(
        env, "AZURE_RESOURCE_GROUP", "MIGRATION_JOB_NAME", "SERVICE_CHAT_IMAGE_NAME"
    )
    where = ["--resource-group", group, "--name", job]
    run(["containerapp", "job", "update", *where, "--image", image, "--output", "none"])
    execution = run(["containerapp", "job", "start", *where, "--query", "name", "--output", "tsv"])
    if not execution:
        raise HookError(f"job {job} started no execution")
    waited = 0.0
    while True:
        status = run(
            ["containerapp", "job", "execution", "show", *where,
             "--job-execution-name", execution, "--query", "properties.status", "--output", "tsv"]
        )  # fmt: skip
        if status in DONE:
            return execution
        if status in FAILED:
            raise HookError(
                f"migration {execution} ended {status}: see its logs with "
                f"`az containerapp job logs show -g {group} -n {job} --execution {execution}`"
            )
        if waited >= timeout_s:
            state = status or "pending"
            raise HookError(f"migration {execution} still {state} after {waited:.0f} s")
        sleep(POLL_S)
        waited += POLL_S


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point for the hooks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("hook", choices=["web-config", "migrate"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.hook == "web-config":
            for path in write_web_config(os.environ):
                logger.info("wrote %s", path)
        else:
            logger.info("migrations applied by job execution %s", run_migrations(os.environ))
    except HookError as error:
        logger.error("error: %s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

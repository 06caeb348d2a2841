"""Every setting the code reads in Azure is set by the Bicep app settings, and nothing else is."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from tests.deploy.bicep import BICEP_DIR, ROOT, object_keys, variable_object

CODE_DIRS = (ROOT / "functions", ROOT / "shared")
SETTINGS_FILE = ROOT / "shared" / "settings.py"
API_SETTINGS = BICEP_DIR / "app" / "api-settings.bicep"

# Read by the code but deliberately not set in Azure, with the reason.
NOT_IN_AZURE = {
    # RabbitMQ is the local/compose transport; RabbitMQ triggers are not available on Flex
    # Consumption (docs/architecture.md). Azure sets MEASUREMENTS_TRANSPORT=servicebus instead.
    "RABBITMQ_URL": "local and compose transport only",
    "MEASUREMENTS_BATCH_MAX": "RabbitMQ drain only; Service Bus batches come from host.json",
    "MEASUREMENTS_DRAIN_WAIT_MS": "RabbitMQ drain only",
    # The console's dead letters follow MEASUREMENTS_TRANSPORT / MEASUREMENTS_QUEUE (set above).
    "DEADLETTER_TRANSPORT": "optional override; unset follows MEASUREMENTS_TRANSPORT",
    "DEADLETTER_QUEUE": "optional override; unset follows MEASUREMENTS_QUEUE",
    # The chat container's fan-out (app/chat.bicep sets it there), not the function app's.
    "CHAT_EVENTS_SERVICEBUS_CONNECTION_STRING": "chat container only",
    "CHAT_EVENTS_TOPIC": "chat container only (the default matches core/servicebus.bicep)",
}
# Set in Azure but read by the platform, not by our code, with the reason.
READ_BY_THE_PLATFORM = {
    "AzureWebJobsStorage__accountName": "Functions host storage, identity-based",
    "APPLICATIONINSIGHTS_CONNECTION_STRING": "Functions host telemetry",
}
# Never valid on Flex Consumption (the runtime comes from functionAppConfig).
FORBIDDEN_ON_FLEX = {
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "AzureWebJobsStorage",
}
# Suffix the Azure SDK reads for an identity-based connection named by a binding.
IDENTITY_SUFFIX = "__fullyQualifiedNamespace"


def settings_fields() -> set[str]:
    """Field names of shared.settings.Settings, read from the source."""
    tree = ast.parse(SETTINGS_FILE.read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings")
    return {
        node.target.id
        for node in cls.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }


def _environ_key(call: ast.AST) -> str | None:
    """X of os.environ.get("X"), os.getenv("X") or os.environ["X"]."""
    if isinstance(call, ast.Subscript) and ast.unparse(call.value) == "os.environ":
        key = call.slice
        return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    if isinstance(call, ast.Call) and ast.unparse(call.func) in ("os.environ.get", "os.getenv"):
        first = call.args[0] if call.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def _python_files() -> list[Path]:
    return [
        p
        for d in CODE_DIRS
        for p in d.rglob("*.py")
        if "tests" not in p.parts and ".venv" not in p.parts
    ]


def environ_reads() -> set[str]:
    """Names read straight from os.environ in functions/ and shared/."""
    names = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            key = _environ_key(node)
            if key is not None:
                names.add(key)
    return names


def binding_connections() -> set[str]:
    """App-setting names bindings use as connections (connection=, connection_string_setting=)."""
    names = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg in ("connection", "connection_string_setting") and isinstance(
                        kw.value, ast.Constant
                    ):
                        names.add(str(kw.value.value))
    return names


def azure_settings() -> set[str]:
    return set(object_keys(variable_object(API_SETTINGS, "appSettings")))


def code_settings() -> set[str]:
    return settings_fields() | environ_reads()


def test_extraction_finds_what_the_code_reads() -> None:
    assert {"DATABASE_URL", "JWT_SECRET", "WEBPUBSUB_CONNECTION_STRING"} <= settings_fields()
    assert {"MEASUREMENTS_TRANSPORT", "MEASUREMENTS_QUEUE"} <= settings_fields()
    assert {"SERVICEBUS_CONNECTION", "RABBITMQ_URL"} <= binding_connections()


def test_every_setting_the_code_reads_is_set_in_azure() -> None:
    missing = code_settings() - azure_settings() - set(NOT_IN_AZURE)
    assert missing == set(), f"set these in {API_SETTINGS.name} or explain in NOT_IN_AZURE"


def test_every_azure_setting_is_read_by_the_code_or_the_platform() -> None:
    identity_connections = {
        name + IDENTITY_SUFFIX for name in binding_connections() - set(NOT_IN_AZURE)
    }
    unexplained = azure_settings() - code_settings() - identity_connections
    assert unexplained - set(READ_BY_THE_PLATFORM) == set()
    assert set(READ_BY_THE_PLATFORM) <= azure_settings()


def test_binding_connections_resolve_in_azure() -> None:
    settings = azure_settings()
    for name in binding_connections() - set(NOT_IN_AZURE):
        assert name in settings or name + IDENTITY_SUFFIX in settings, name


def test_exceptions_are_still_real() -> None:
    assert set(NOT_IN_AZURE) <= code_settings() | binding_connections()
    assert not set(NOT_IN_AZURE) & azure_settings()


def test_nothing_flex_rejects() -> None:
    assert azure_settings() & FORBIDDEN_ON_FLEX == set()


def _env_names(source: str) -> set[str]:
    return set(re.findall(r"\{ name: '(\w+)', (?:value|secretRef):", source))


def _migration_env(source: str) -> str:
    return source.split("var migrationEnv = [", 1)[1].split("\n]", 1)[0]


def test_chat_container_settings_are_settings_the_chat_reads() -> None:
    source = (BICEP_DIR / "app" / "chat.bicep").read_text()
    names = _env_names(source.replace(_migration_env(source), ""))  # the job's are below
    chat_reads = set(re.findall(r'environ\.get\("(CHAT_\w+)"', _chat_server_source()))
    platform = {"AZURE_CLIENT_ID", "APPLICATIONINSIGHTS_CONNECTION_STRING"}
    assert names - settings_fields() - chat_reads - platform == set()
    assert {"DATABASE_URL", "JWT_SECRET", "ADMIN_PASSWORD", "CHAT_PORT", "DB_POOL_SIZE"} <= names
    # No RabbitMQ in Azure: replicas share events through the Service Bus topic, so the app
    # may scale out (a rule on open requests) and each replica gets the topic's key.
    assert "RABBITMQ_URL" not in names
    assert "CHAT_EVENTS_SERVICEBUS_CONNECTION_STRING" in names
    assert re.search(r"maxReplicas: maxReplicas\b", source)
    assert "concurrentRequests:" in source
    servicebus = (BICEP_DIR / "core" / "servicebus.bicep").read_text()
    from chat_container.servicebus import TOPIC

    assert f"param chatTopicName string = '{TOPIC}'" in servicebus
    assert "rights: ['Manage', 'Listen', 'Send']" in servicebus


def test_the_migration_job_gets_what_the_migration_cli_reads_and_nothing_else() -> None:
    """`python -m shared.migrate` reads shared.settings.MigrationSettings: the administrator's
    URL and the application user to provision; no JWT or platform secret."""
    from shared.settings import MigrationSettings

    source = (BICEP_DIR / "app" / "chat.bicep").read_text()
    env = _migration_env(source)
    assert _env_names(env) == set(MigrationSettings.model_fields)
    assert "{ name: 'DATABASE_URL', secretRef: 'database-admin-url' }" in env
    assert "{ name: 'APP_DATABASE_PASSWORD', secretRef: 'mysql-app-password' }" in env
    assert "env: migrationEnv" in source and source.count("migrationEnv") == 2
    assert "{ name: 'DATABASE_URL', secretRef: 'database-url' }" in source  # the chat app's
    # The same command as the compose one-shot (tests/deploy/test_compose.py checks that one).
    match = re.search(r"command: \[([^\]]*)\]", source)
    assert match is not None
    command = re.findall(r"'([^']*)'", match.group(1))
    compose = yaml.safe_load((ROOT / "local" / "docker-compose.yml").read_text())
    assert command == compose["services"]["migrate"]["entrypoint"]
    assert command == ["python", "-m", "shared.migrate", "upgrade", "--grant-app-user"]


def _chat_server_source() -> str:
    return (ROOT / "chat_container" / "server.py").read_text()

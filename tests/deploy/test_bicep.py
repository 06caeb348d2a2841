"""infra/bicep: syntax, API versions, modules, outputs, azd wiring (no Bicep compiler here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import certifi
import pytest
import yaml
from sqlalchemy.dialects.mysql.pymysql import MySQLDialect_pymysql
from sqlalchemy.engine import make_url

from shared.db import resolve_ca_bundle
from tests.deploy.bicep import (
    BICEP_DIR,
    ROOT,
    UPPER_SNAKE,
    bicep_files,
    declarations,
    declared_name,
    declared_string,
    parse,
    string_value,
    syntax_problems,
    text,
    variable_object,
    walk,
)

# Resource types and API versions the templates may use: the versions they were written against,
# each known to the Bicep type index, children at their parent's version.
ALLOWED_TYPES = {
    "Microsoft.Web/serverfarms": {"2024-04-01"},
    "Microsoft.Web/sites": {"2024-04-01"},
    "Microsoft.Web/sites/config": {"2024-04-01"},
    "Microsoft.Web/staticSites": {"2024-04-01"},
    "Microsoft.Storage/storageAccounts": {"2024-01-01"},
    "Microsoft.Storage/storageAccounts/blobServices": {"2024-01-01"},
    "Microsoft.Storage/storageAccounts/blobServices/containers": {"2024-01-01"},
    "Microsoft.DBforMySQL/flexibleServers": {"2023-12-30"},
    "Microsoft.DBforMySQL/flexibleServers/databases": {"2023-12-30"},
    "Microsoft.DBforMySQL/flexibleServers/firewallRules": {"2023-12-30"},
    "Microsoft.ServiceBus/namespaces": {"2024-01-01"},
    "Microsoft.ServiceBus/namespaces/queues": {"2024-01-01"},
    "Microsoft.ServiceBus/namespaces/queues/authorizationRules": {"2024-01-01"},
    # Topics (chat fan-out): the namespace's version; its folder generated/servicebus/
    # microsoft.servicebus/2024-01-01 exists in Azure/bicep-types-az (looked up, not compiled).
    "Microsoft.ServiceBus/namespaces/topics": {"2024-01-01"},
    "Microsoft.ServiceBus/namespaces/topics/authorizationRules": {"2024-01-01"},
    "Microsoft.SignalRService/webPubSub": {"2024-03-01"},
    "Microsoft.SignalRService/webPubSub/hubs": {"2024-03-01"},
    "Microsoft.App/managedEnvironments": {"2025-01-01", "2024-03-01"},
    "Microsoft.App/containerApps": {"2025-01-01", "2024-03-01"},
    # The migration job: the container app's version (generated/app/microsoft.app/2025-01-01
    # in Azure/bicep-types-az; public templates declare Microsoft.App/jobs@2025-01-01).
    "Microsoft.App/jobs": {"2025-01-01"},
    "Microsoft.Insights/components": {"2020-02-02"},
    "Microsoft.OperationalInsights/workspaces": {"2023-09-01"},
    "Microsoft.KeyVault/vaults": {"2024-11-01", "2023-07-01"},
    "Microsoft.KeyVault/vaults/secrets": {"2024-11-01", "2023-07-01"},
    # Added later; each version is a folder of Azure/bicep-types-az `generated/` (looked up,
    # not compiled): the resource group of a subscription-scope deployment, RBAC, the registry
    # azd pushes the chat image to, and the chat app's user-assigned identity.
    "Microsoft.Resources/resourceGroups": {"2024-03-01"},
    "Microsoft.Authorization/roleAssignments": {"2022-04-01"},
    "Microsoft.ContainerRegistry/registries": {"2023-07-01"},
    "Microsoft.ManagedIdentity/userAssignedIdentities": {"2023-01-31"},
}

FILES = bicep_files()
IDS = [str(p.relative_to(BICEP_DIR)) for p in FILES]


def _resources() -> list[tuple[Path, str, str]]:
    found = []
    for path in FILES:
        for node in declarations(path, "resource_declaration"):
            found.append((path, declared_name(node), declared_string(node)))
    return found


def test_the_expected_files_exist() -> None:
    names = {str(p.relative_to(BICEP_DIR)) for p in FILES}
    assert {"main.bicep", "core/roles.bicep", "app/api.bicep", "app/chat.bicep"} <= names
    assert (BICEP_DIR / "main.parameters.json").is_file()
    assert (BICEP_DIR / "abbreviations.json").is_file()


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_parses_without_syntax_errors(path: Path) -> None:
    assert not parse(path).root_node.has_error, syntax_problems(path)
    assert syntax_problems(path) == []


def test_syntax_check_catches_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.bicep"
    broken.write_text(
        "resource st 'Microsoft.Storage/storageAccounts@2024-01-01' = {\n  name: st.\n"
    )
    assert syntax_problems(broken)


def test_every_resource_type_and_api_version_is_allowed() -> None:
    resources = _resources()
    assert len(resources) > 20
    bad = []
    for path, name, type_version in resources:
        resource_type, _, version = type_version.partition("@")
        if version not in ALLOWED_TYPES.get(resource_type, set()):
            bad.append(f"{path.relative_to(BICEP_DIR)}: {name} {type_version}")
    assert bad == []


def test_every_required_resource_type_is_declared() -> None:
    declared = {tv.partition("@")[0] for _, _, tv in _resources()}
    assert declared == set(ALLOWED_TYPES), "keep the allow-list to what the templates use"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_module_paths_exist(path: Path) -> None:
    for node in declarations(path, "module_declaration"):
        target = path.parent / declared_string(node)
        assert target.is_file(), f"{path.name}: module {declared_name(node)} -> {target}"


def test_every_module_file_is_used() -> None:
    used = {
        (path.parent / declared_string(node)).resolve()
        for path in FILES
        for node in declarations(path, "module_declaration")
    }
    unused = [p for p in FILES if p.name != "main.bicep" and p.resolve() not in used]
    assert unused == []


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_outputs_are_upper_snake(path: Path) -> None:
    names = [declared_name(n) for n in declarations(path, "output_declaration")]
    assert [n for n in names if not UPPER_SNAKE.match(n)] == []


def test_main_is_subscription_scoped_and_creates_the_resource_group() -> None:
    main = (BICEP_DIR / "main.bicep").read_text()
    assert re.search(r"^targetScope = 'subscription'$", main, re.M)
    types = [tv for p, _, tv in _resources() if p.name == "main.bicep"]
    assert types == ["Microsoft.Resources/resourceGroups@2024-03-01"]


def test_parameters_file_matches_main_parameters() -> None:
    main = BICEP_DIR / "main.bicep"
    declared = {}
    for node in declarations(main, "parameter_declaration"):
        has_default = any(c.type == "=" for c in node.children)
        declared[declared_name(node)] = has_default
    given = json.loads((BICEP_DIR / "main.parameters.json").read_text())["parameters"]
    assert set(given) <= set(declared), set(given) - set(declared)
    required = {name for name, has_default in declared.items() if not has_default}
    assert required <= set(given), required - set(given)
    assert given["environmentName"]["value"] == "${AZURE_ENV_NAME}"
    assert given["location"]["value"] == "${AZURE_LOCATION}"
    for secret in ("mysqlAdminPassword", "mysqlAppPassword", "adminPassword", "jwtSecretSeed"):
        assert given[secret]["value"].startswith("$(secretOrRandomPassword ${AZURE_KEY_VAULT_NAME}")


def test_azd_reads_each_generated_secret_back_from_the_secret_that_stores_it() -> None:
    """secretOrRandomPassword <vault> <name> must name the Key Vault secret holding that very
    parameter, or azd generates a new value on every provision (a password rotation)."""
    given = json.loads((BICEP_DIR / "main.parameters.json").read_text())["parameters"]
    keyvault = (BICEP_DIR / "core" / "keyvault.bicep").read_text()
    stored = dict(re.findall(r"name: '([\w-]+)'\n  properties: \{\n    value: (\w+)\n", keyvault))
    generated = {
        param: m.group(1)
        for param, entry in given.items()
        if isinstance(entry["value"], str)  # not e.g. webExtraOrigins' list
        and (m := re.fullmatch(r"\$\(secretOrRandomPassword \$\{AZURE_KEY_VAULT_NAME\} ([\w-]+)\)",
                               entry["value"]))
    }  # fmt: skip
    assert set(generated) == {"mysqlAdminPassword", "mysqlAppPassword", "adminPassword",
                              "jwtSecretSeed"}  # fmt: skip
    for param, secret in generated.items():
        assert stored.get(secret) == param, (param, secret)


def test_abbreviations_used_by_main_exist() -> None:
    abbreviations = json.loads((BICEP_DIR / "abbreviations.json").read_text())
    used = set(re.findall(r"abbrs\.(\w+)", (BICEP_DIR / "main.bicep").read_text()))
    assert used
    assert used <= set(abbreviations), used - set(abbreviations)


def test_resource_token_follows_azd() -> None:
    main = (BICEP_DIR / "main.bicep").read_text()
    assert "uniqueString(subscription().id, environmentName, location)" in main
    assert "'azd-env-name': environmentName" in main


def _service_tags() -> dict[str, Path]:
    tags = {}
    for path in FILES:
        for match in re.finditer(r"'azd-service-name': '(\w+)'", path.read_text()):
            tags[match.group(1)] = path
    return tags


def test_azure_yaml_services_match_the_tagged_resources() -> None:
    azure = yaml.safe_load((ROOT / "azure.yaml").read_text())
    assert azure["infra"]["path"] == "infra/bicep"
    services = azure["services"]
    assert set(services) == {"api", "web", "chat"} == set(_service_tags())
    assert services["api"]["host"] == "function"
    assert services["api"]["language"] == "python"
    assert services["web"]["host"] == "staticwebapp"
    assert services["chat"]["host"] == "containerapp"
    for service in services.values():
        assert (ROOT / service["project"]).is_dir(), service["project"]


def test_azd_packages_the_artifact_with_shared_inside() -> None:
    api = yaml.safe_load((ROOT / "azure.yaml").read_text())["services"]["api"]
    assert api["project"] == "./functions"
    assert (ROOT / "functions" / api["dist"]).resolve() == (ROOT / "build" / "functionapp")
    for shell in ("posix", "windows"):
        run = api["hooks"]["prepackage"][shell]["run"]
        assert "cd .." in run and "-m infra.package" in run


def test_function_app_is_flex_python_311_with_identity() -> None:
    api = (BICEP_DIR / "app" / "api.bicep").read_text()
    assert "tier: 'FlexConsumption'" in api
    assert "kind: 'functionapp,linux'" in api
    assert "identity: { type: 'SystemAssigned' }" in api
    assert re.search(r"runtime: \{\s*name: 'python'\s*version: '3.11'\s*\}", api)
    assert "authentication: { type: 'SystemAssignedIdentity' }" in api


def test_secrets_are_key_vault_references() -> None:
    settings = BICEP_DIR / "app" / "api-settings.bicep"
    obj = variable_object(settings, "appSettings")
    values = {}
    for prop in obj.children:
        if prop.type == "object_property":
            values[text(prop.children[0])] = string_value(prop.children[-1])
    for secret in ("DATABASE_URL", "JWT_SECRET", "ADMIN_PASSWORD", "WEBPUBSUB_CONNECTION_STRING"):
        assert re.fullmatch(r"@Microsoft\.KeyVault\(SecretUri=\$\{\w+\}\)", values[secret])
    assert values["APP_PROFILE"] == "production"
    assert values["MEASUREMENTS_TRANSPORT"] == "servicebus"


def test_role_assignments_live_in_their_own_module() -> None:
    holders = {p.name for p, _, tv in _resources() if tv.startswith("Microsoft.Authorization/")}
    assert holders == {"roles.bicep"}
    roles = (BICEP_DIR / "core" / "roles.bicep").read_text()
    for role_id in (
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",  # Storage Blob Data Owner
        "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",  # Azure Service Bus Data Receiver
        "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",  # Azure Service Bus Data Sender
        "4633458b-17de-408a-b874-0445c86b69e6",  # Key Vault Secrets User
    ):
        assert role_id in roles


def test_service_bus_queues_match_the_code() -> None:
    from routes import ingest

    main = (BICEP_DIR / "main.bicep").read_text()
    servicebus = (BICEP_DIR / "core" / "servicebus.bicep").read_text()
    assert f"var measurementsQueue = '{ingest.DEFAULT_QUEUE}'" in main
    assert f"var invalidQueue = '{ingest.DEFAULT_QUEUE}-invalid'" in main
    assert servicebus.count("deadLetteringOnMessageExpiration: true") == 2
    assert "maxDeliveryCount: maxDeliveryCount" in servicebus


def test_web_pubsub_hub_matches_the_settings_default() -> None:
    from shared.settings import Settings

    hub = Settings.model_fields["WEBPUBSUB_HUB"].default
    assert f"var webPubSubHub = '{hub}'" in (BICEP_DIR / "main.bicep").read_text()


@pytest.mark.parametrize(
    ("variable", "login", "password"),
    [("databaseUrl", "mysqlAppLogin", "mysqlAppPassword"),
     ("databaseAdminUrl", "mysqlAdminLogin", "mysqlAdminPassword")],
    ids=["application-user", "administrator"],
)  # fmt: skip
def test_database_url_template_gives_pymysql_a_verified_tls_connection(
    variable: str, login: str, password: str
) -> None:
    keyvault = BICEP_DIR / "core" / "keyvault.bicep"
    node = next(n for n in declarations(keyvault, "variable_declaration")
                if declared_name(n) == variable)  # fmt: skip
    template = string_value(node.children[-1])
    url = template.replace("${mysqlHost}", "db.example").replace("${mysqlDatabaseName}", "energy")
    url = url.replace(f"${{{login}}}", "the_login")
    encoded = "p%40ss%3Aw%2Fd"  # what uriComponent('p@ss:w/d') gives
    url = url.replace(f"${{uriComponent({password})}}", encoded)
    assert "${" not in url, url
    parsed = make_url(url)
    assert parsed.drivername == "mysql+pymysql"
    assert (parsed.username, parsed.password, parsed.database) == (
        "the_login",
        "p@ss:w/d",
        "energy",
    )
    _, kwargs = MySQLDialect_pymysql().create_connect_args(resolve_ca_bundle(parsed))
    assert kwargs["host"] == "db.example"
    assert kwargs["port"] == 3306
    # ssl_ca=certifi: the CA bundle of the certifi package, wherever it is installed
    assert kwargs["ssl"] == {"ca": certifi.where()}


def test_chat_app_runs_envoy_beside_the_chat_service() -> None:
    chat = BICEP_DIR / "app" / "chat.bicep"
    source = chat.read_text()
    assert "targetPort: 8080" in source
    assert "transport: 'auto'" in source
    assert "{ name: 'CHAT_PORT', value: '50051' }" in source
    first, second = re.findall(r"^\s+name: '(chat|envoy)'$", source, re.M)[:2]
    assert (first, second) == ("chat", "envoy"), "azd deploy replaces the first container's image"


def test_envoy_config_is_the_repository_file() -> None:
    chat = BICEP_DIR / "app" / "chat.bicep"
    calls = [text(n) for n in walk(parse(chat).root_node)
             if n.type == "call_expression" and text(n).startswith("loadTextContent(")]  # fmt: skip
    assert len(calls) == 1
    match = re.fullmatch(r"loadTextContent\('([^']+)'\)", calls[0])
    assert match is not None, calls[0]
    assert (chat.parent / match.group(1)).resolve() == ROOT / "envoy" / "envoy.yaml"


def _secure_params(path: Path) -> set[str]:
    """Parameters with @secure() among the decorators right above them."""
    secure, decorated = set(), False
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("@"):
            decorated = decorated or stripped == "@secure()"
            continue
        match = re.match(r"param (\w+)", stripped)
        if match and decorated:
            secure.add(match.group(1))
        decorated = False
    return secure


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_outputs_carry_no_secrets(path: Path) -> None:
    secure = _secure_params(path)
    for node in declarations(path, "output_declaration"):
        value = text(node)
        assert "listKeys" not in value and "list(" not in value, value
        assert not {name for name in secure if re.search(rf"\b{name}\b", value)}, value


def test_secure_parameters_are_marked_secure() -> None:
    secrets = {"mysqlAdminPassword", "mysqlAppPassword", "adminPassword", "jwtSecretSeed"}
    assert secrets <= _secure_params(BICEP_DIR / "main.bicep")
    assert secrets <= _secure_params(BICEP_DIR / "core" / "keyvault.bicep")


def test_settings_and_chat_wait_for_the_role_assignments() -> None:
    main = (BICEP_DIR / "main.bicep").read_text()
    for module in ("apiSettings", "chat"):
        block = main.split(f"module {module} ", 1)[1].split("\nmodule ", 1)[0]
        assert "dependsOn: [roles]" in block, module

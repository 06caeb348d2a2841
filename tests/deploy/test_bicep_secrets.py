"""Only the migration job can reach the MySQL administrator's credentials (tree-sitter, no Azure).

"Reach" counts both ways an app gets a secret (tests/deploy/secret_reach.py): a reference in
its configuration, and a Key Vault role of an identity attached to it (code in the app could
read any secret that role covers). The apps are the function app, the chat app and the
migration job; the deployer (azd's principal) keeps Secrets Officer on the vault.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.deploy.bicep import BICEP_DIR
from tests.deploy.secret_reach import Reach, parses, reach

# The server administrator's password and the URL built from it.
ADMIN_SECRETS = {"mysql-admin-password", "database-admin-url"}
MIGRATION_JOB = "migrateJob"
APPS = {"functionApp", "chatApp", MIGRATION_JOB}
DEPLOYER = "principalId"  # main.bicep's parameter: azd's AZURE_PRINCIPAL_ID


def violations(found: Reach) -> list[str]:
    """Every way an app other than the migration job reaches an administrator secret, and
    every secret an app references without being allowed to read it (a failed deploy)."""
    problems = []
    for app in sorted(found.referenced):
        referenced, readable = found.referenced[app], found.readable[app]
        for how, secrets in (("references", referenced), ("may read", readable)):
            allowed = {"database-admin-url"} if app == MIGRATION_JOB else set()
            for secret in sorted(secrets & ADMIN_SECRETS - allowed):
                problems.append(f"{app} {how} {secret}")
        for secret in sorted(referenced - readable):
            problems.append(f"{app} references {secret} but may not read it")
        for secret in sorted(readable - referenced):
            problems.append(f"{app} may read {secret}, which it does not use")
    for principal in sorted(found.vault_wide - {DEPLOYER}):
        problems.append(f"{principal} holds a Key Vault role on the whole vault")
    return problems


def test_the_model_sees_every_app() -> None:
    found = reach(BICEP_DIR)
    assert set(found.referenced) == APPS
    assert found.vault_wide == {DEPLOYER}


def test_only_the_migration_job_reaches_the_administrator_secrets() -> None:
    assert violations(reach(BICEP_DIR)) == []


def test_what_each_app_reads() -> None:
    found = reach(BICEP_DIR)
    common = {"database-url", "jwt-secret", "admin-password"}
    assert found.readable["functionApp"] == common | {"webpubsub-connection-string"}
    assert found.readable["chatApp"] == common | {"chat-events-connection-string"}
    assert found.readable[MIGRATION_JOB] == {"database-admin-url", "mysql-app-password"}


# Changes that would hand the administrator's credentials to an app, each on a copy of the
# templates: the check must catch every one.
Edit = tuple[str, str, str]  # file, text, replacement
MUTATIONS: dict[str, list[Edit]] = {
    "chat app given the job's secrets": [
        ("app/chat.bicep", "secrets: concat(secretRefs, [",
         "secrets: concat(secretRefs, migrationSecretRefs, ["),
    ],
    "chat identity's role on the whole vault": [
        ("core/roles.bicep", "scope: chatSecrets[i]", "scope: vault"),
    ],
    "function app's role on the whole vault": [
        ("core/roles.bicep", "scope: functionSecrets[i]", "scope: vault"),
    ],
    "admin URL in the chat's secret list": [
        ("core/keyvault.bicep", "  chatEventsConnectionStringSecret.name\n]",
         "  chatEventsConnectionStringSecret.name\n  databaseAdminUrlSecret.name\n]"),
    ],
    "chat app with the administrator password": [
        ("core/keyvault.bicep", "output CHAT_SECRET_NAMES array = [\n",
         "output CHAT_SECRET_NAMES array = [\n  mysqlAdminPasswordSecret.name\n"),
    ],
    "function app reading the admin URL": [
        ("main.bicep",
         "dbPoolSize: dbPoolSize\n    databaseUrlSecretUri: keyVault.outputs.DATABASE_URL_",
         "dbPoolSize: dbPoolSize\n    databaseUrlSecretUri: keyVault.outputs.DATABASE_ADMIN_URL_"),
    ],
    "one identity for the chat app and the job (as before)": [
        ("main.bicep", "migrationIdentityId: migrationIdentity.outputs.ID",
         "migrationIdentityId: chatIdentity.outputs.ID"),
        ("main.bicep", "migrationPrincipalId: migrationIdentity.outputs.PRINCIPAL_ID",
         "migrationPrincipalId: chatIdentity.outputs.PRINCIPAL_ID"),
    ],
}  # fmt: skip


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_the_check_catches(mutation: str, tmp_path: Path) -> None:
    copy = tmp_path / "bicep"
    shutil.copytree(BICEP_DIR, copy)
    for relative, old, new in MUTATIONS[mutation]:
        target = copy / relative
        source = target.read_text()
        assert source.count(old) == 1, f"{relative}: the mutation no longer applies"
        target.write_text(source.replace(old, new))
    assert parses(copy)
    problems = violations(reach(copy))
    assert any(re.match(r"(functionApp|chatApp) .*admin|.* whole vault", p) for p in problems), (
        problems
    )

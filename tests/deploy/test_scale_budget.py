"""Flex scale-out x pool size fits MySQL's max_connections; the browser reaches the API directly.

The arithmetic (docs/deployment.md, "Scale and MySQL connections"): a function instance or chat
replica holds at most 4 x DB_POOL_SIZE connections (read and write pools, each pool_size plus
as much overflow), so at full scale

    budget = maxInstances x 4 x dbPoolSize + chatMaxReplicas x 4 x chatDbPoolSize
             + the migration job (4 x chatDbPoolSize) + 10 for operators

and that must stay below the SKU's max_connections, whatever the load.
"""

from __future__ import annotations

import re

import pytest

from shared.platform import build_platform
from shared.settings import Settings
from tests.deploy.bicep import BICEP_DIR

MAIN = (BICEP_DIR / "main.bicep").read_text()
API = (BICEP_DIR / "app" / "api.bicep").read_text()
WEB = (BICEP_DIR / "app" / "web.bicep").read_text()
# Default max_connections of Azure Database for MySQL flexible server (server-parameters table:
# 2 GiB B1ms 171, doubling with memory). B1ms stays here to show why it is not allowed.
MAX_CONNECTIONS = {
    "Standard_B1ms": 171,
    "Standard_B2s": 341,
    "Standard_B2ms": 683,
    "Standard_B4ms": 1365,
}


def _defaults() -> dict[str, int | str]:
    found: dict[str, int | str] = {}
    for name, kind, value in re.findall(r"^param (\w+) (int|string) = (.+)$", MAIN, re.M):
        found[name] = int(value) if kind == "int" else value.strip("'")
    return found


def _budget_expression() -> str:
    match = re.search(r"^var mysqlConnectionBudget = (.+)$", MAIN, re.M)
    assert match, "main.bicep has no mysqlConnectionBudget"
    return match.group(1)


def budget(values: dict[str, int | str]) -> int:
    """main.bicep's own expression, evaluated with the given parameter values."""
    expression = _budget_expression()
    assert re.fullmatch(r"[\w\s()+*]+", expression), expression
    names = {k: v for k, v in values.items() if isinstance(v, int)}
    return int(eval(expression, {"__builtins__": {}}, names))


def _allowed_skus() -> list[str]:
    match = re.search(r"@allowed\(\[([^\]]*)\]\)\s*param mysqlSkuName", MAIN)
    assert match
    return re.findall(r"'([^']+)'", match.group(1))


def test_the_budget_holds_at_full_scale_for_every_allowed_sku() -> None:
    defaults = _defaults()
    used = budget(defaults)
    assert used == 40 * 4 * 1 + 4 * 4 * 4 + 4 * 4 + 10  # the documented figure: 250
    assert defaults["mysqlSkuName"] in _allowed_skus()
    for sku in _allowed_skus():
        assert used <= MAX_CONNECTIONS[sku], sku


def test_the_old_defaults_would_have_been_caught() -> None:
    old = {**_defaults(), "dbPoolSize": 2, "chatMaxReplicas": 1, "chatDbPoolSize": 20}
    assert budget(old) > MAX_CONNECTIONS["Standard_B1ms"]
    assert budget(_defaults()) > MAX_CONNECTIONS["Standard_B1ms"]  # hence B1ms is not allowed
    assert "Standard_B1ms" not in _allowed_skus()


def test_flex_limits_are_what_flex_accepts() -> None:
    assert re.search(
        r"@minValue\(40\)\s*@maxValue\(1000\)\s*@description\('[^']*'\)\s*"
        r"param functionMaximumInstanceCount",
        MAIN,
    )
    assert re.search(r"@minValue\(40\)\s*@maxValue\(1000\)\s*param maximumInstanceCount", API)
    defaults = _defaults()
    # one request per connection: the scaler adds instances instead of queueing on the pool
    assert defaults["functionHttpPerInstanceConcurrency"] == 4 * int(defaults["dbPoolSize"])
    assert "perInstanceConcurrency: httpPerInstanceConcurrency" in API


@pytest.mark.parametrize("pool", [1, 4])
def test_a_process_opens_at_most_four_times_its_pool_size(pool: int) -> None:
    """The premise of the arithmetic, on the real engines the platform builds (no connection)."""
    url = f"mysql+pymysql://u:p@db.invalid:3306/energy_{pool}?charset=utf8mb4"
    platform = build_platform(Settings(DATABASE_URL=url, DB_POOL_SIZE=pool))
    total = 0
    for factory in (platform.sessions, platform.readers):
        engine = factory.kw["bind"]
        total += engine.pool.size() + engine.pool._max_overflow  # type: ignore[attr-defined]
    assert total == 4 * pool


def test_the_web_app_calls_the_function_app_with_cors_for_its_origin_only() -> None:
    assert "linkedBackends" not in WEB, "Static Web Apps would overwrite Authorization"
    assert "allowedOrigins: webOrigins" in MAIN
    assert "var webOrigins = concat([web.outputs.URL], webExtraOrigins)" in MAIN
    assert "param webExtraOrigins array = []" in MAIN  # nothing else unless the operator adds it
    assert re.search(r"cors: \{\s*allowedOrigins: allowedOrigins\s*supportCredentials: false", API)
    assert re.search(r"output API_BASE_URL string = '\$\{api.outputs.URL\}/api'", MAIN)


def test_the_client_address_is_the_entry_the_azure_front_end_appends() -> None:
    """Browsers call the function app directly, so only its front end appends to
    X-Forwarded-For: trusting a second hop would let any caller choose its own "address" and
    walk around the per-address login limits (docs/security.md, "The client address")."""
    settings = (BICEP_DIR / "app" / "api-settings.bicep").read_text()
    assert "linkedBackends" not in WEB
    assert re.search(r"^\s*TRUSTED_PROXY_HOPS: '1'$", settings, re.M)

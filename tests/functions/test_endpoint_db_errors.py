"""`endpoint` and the database: a GET whose pooled connection was lost is run once more; an
unavailable database answers 503 problem+json with Retry-After; other errors stay a 500."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator

import azure.functions as func
import pytest
from routes import _http
from routes._http import DB_RETRY_AFTER_SECONDS, endpoint, json_response
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from shared.db import dispose_all
from shared.errors import NotFound
from tests.functions.conftest import Api, serve_api
from tests.utils.relay import silent_relay
from tests.utils.services import mariadb_database

SQL = "SELECT secret_column FROM users WHERE token_hash = %(token_hash)s"
PARAMS = {"token_hash": "hash-that-must-not-leak"}
PATH = "/api/me/devices"
URL = f"http://localhost{PATH}?q=query-value-that-must-not-be-logged"


class DriverError(Exception):
    """Stands for PyMySQL's errors: args are (MySQL error code, message)."""


def _lost() -> DBAPIError:
    """What SQLAlchemy raises when MySQL drops the connection mid-query (2013, invalidated)."""
    orig = DriverError(2013, "Lost connection to MySQL server during query")
    return OperationalError(SQL, PARAMS, orig, connection_invalidated=True)


def _driver_error(kind: type[DBAPIError], code: int, message: str) -> DBAPIError:
    return kind(SQL, PARAMS, DriverError(code, message))


DEADLOCK = _driver_error(OperationalError, 1213, "Deadlock found when trying to get lock")
LOCK_WAIT = _driver_error(OperationalError, 1205, "Lock wait timeout exceeded")
REFUSED_LOGIN = _driver_error(OperationalError, 1045, "Access denied for user 'energy'")
GONE_AWAY = _driver_error(OperationalError, 2006, "MySQL server has gone away")
READ_ONLY = _driver_error(OperationalError, 1290, "running with the --read-only option")
TOO_MANY = _driver_error(OperationalError, 1040, "Too many connections")
SQLITE_LOCKED = OperationalError(SQL, PARAMS, Exception("database is locked"))
NO_TABLE = _driver_error(ProgrammingError, 1146, "Table 'energy.users' doesn't exist")
# PyMySQL raises OperationalError for server errors it has no class for: not "unavailable".
BAD_DATETIME = _driver_error(OperationalError, 1292, "Incorrect datetime value: 'x'")
OUT_OF_RANGE = _driver_error(OperationalError, 1690, "BIGINT value is out of range")
NO_GRANT = _driver_error(OperationalError, 1142, "SELECT command denied to user")
SQLITE_SYNTAX = OperationalError(SQL, PARAMS, Exception('near "SELEC": syntax error'))
SQLITE_NO_TABLE = OperationalError(SQL, PARAMS, Exception("no such table: users"))
DUPLICATE = _driver_error(IntegrityError, 1062, "Duplicate entry 'x' for key 'username'")


class Script:
    """A handler that raises the scripted errors in turn, then answers 200; counts its calls."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, req: func.HttpRequest) -> func.HttpResponse:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return json_response({"ok": True})


def _call(
    method: str, handler: Callable[[func.HttpRequest], func.HttpResponse]
) -> func.HttpResponse:
    request = func.HttpRequest(
        method, URL, body=b"", params={"q": "query-value-that-must-not-be-logged"}
    )
    return endpoint(handler)(request)


def _problem(response: func.HttpResponse, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    text = response.get_body().decode()
    for leak in ("Traceback", "SELECT", "secret_column", "hash-that-must-not-leak", "2013", "1213"):
        assert leak not in text
    body = json.loads(text)
    assert body["status"] == status
    return dict(body)


@pytest.mark.parametrize("method", ["GET", "HEAD", "get"])
def test_a_safe_method_whose_connection_was_lost_is_run_once_more(
    method: str, caplog: pytest.LogCaptureFixture
) -> None:
    handler = Script(_lost())
    with caplog.at_level(logging.WARNING, logger=_http.logger.name):
        response = _call(method, handler)
    assert response.status_code == 200 and json.loads(response.get_body()) == {"ok": True}
    assert handler.calls == 2
    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    message = record.getMessage()
    assert message.startswith(
        f"{method.upper()} {PATH}: database connection lost (driver error 2013)"
    )
    assert "query-value" not in message and "hash-that" not in message


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_method_that_may_have_written_is_never_run_twice(method: str) -> None:
    handler = Script(_lost())
    response = _call(method, handler)
    body = _problem(response, 503)
    assert handler.calls == 1
    assert response.headers["Retry-After"] == str(DB_RETRY_AFTER_SECONDS) == "2"
    assert body["type"] == "https://energy-platform.example/problems/database-unavailable"
    assert body["detail"] == "The database is unavailable; try again shortly."


def test_a_connection_lost_twice_is_a_503_after_one_retry(caplog: pytest.LogCaptureFixture) -> None:
    handler = Script(_lost(), _lost(), _lost())
    with caplog.at_level(logging.WARNING, logger=_http.logger.name):
        response = _call("GET", handler)
    _problem(response, 503)
    assert response.headers["Retry-After"] == "2"
    assert response.headers["Cache-Control"] == "no-store"
    assert handler.calls == 2
    retried, unavailable = caplog.records
    assert "running it once more" in retried.getMessage()
    assert unavailable.getMessage() == f"GET {PATH}: database unavailable"
    assert unavailable.exc_info is not None  # the stack is in the log, not in the answer


@pytest.mark.parametrize(
    "error",
    [DEADLOCK, LOCK_WAIT, REFUSED_LOGIN, GONE_AWAY, READ_ONLY, TOO_MANY, SQLITE_LOCKED],
    ids=["deadlock", "lock-wait", "login", "gone-away", "read-only", "too-many", "sqlite-locked"],
)
def test_an_operational_error_without_a_lost_connection_is_a_503_without_retry(
    error: DBAPIError,
) -> None:
    """Only a lost connection is retried: a lock conflict could meet the same lock at once, and
    the client, told Retry-After, decides when to try again."""
    handler = Script(error)
    response = _call("GET", handler)
    _problem(response, 503)
    assert response.headers["Retry-After"] == "2"
    assert handler.calls == 1


@pytest.mark.parametrize(
    "error",
    [NO_TABLE, DUPLICATE, BAD_DATETIME, OUT_OF_RANGE, NO_GRANT, SQLITE_SYNTAX, SQLITE_NO_TABLE],
    ids=["programming", "integrity", "1292", "1690", "1142", "sqlite-syntax", "sqlite-no-table"],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_error_that_is_not_transient_is_still_a_500(
    error: DBAPIError, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    handler = Script(error)
    with caplog.at_level(logging.ERROR, logger=_http.logger.name):
        response = _call(method, handler)
    body = _problem(response, 500)
    assert body["type"] == "https://energy-platform.example/problems/internal-error"
    assert "Retry-After" not in response.headers
    assert handler.calls == 1
    [record] = caplog.records
    assert record.getMessage().startswith(f"unhandled error in {method}")


def test_the_retry_answers_whatever_the_second_run_raises() -> None:
    handler = Script(_lost(), NotFound("No such device."))
    response = _call("GET", handler)
    assert _problem(response, 404)["detail"] == "No such device."
    assert handler.calls == 2


# --- on MariaDB: a pooled connection that died silently, through the real app and host ---


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """MariaDB only: the silent death is a MySQL connection's (the relay speaks to MariaDB)."""
    with mariadb_database() as url:
        yield url
    dispose_all()


def _silenced_get(migrated_url: str) -> tuple[int, str, int]:
    """Serve the API through a relay, use a pooled reader connection, silence every flow and
    GET /auth/me again at once (well within IDLE_PING_SECONDS: polled, not pinged).

    Returns the status, the body and how many new database connections the GET opened."""
    with silent_relay() as relay, serve_api(relay.url(migrated_url)) as base:
        api = Api(base, os.environ["JWT_SECRET"])
        try:
            first = api.get("/auth/me", token=api.admin_token)
            assert first.status_code == 200, first.text
            flows = len(relay.flows)
            relay.silence()
            again = api.get("/auth/me", token=api.admin_token)
            return again.status_code, again.text, len(relay.flows) - flows
        finally:
            api.http.close()


@pytest.mark.mariadb
def test_a_get_on_a_silently_dead_pooled_connection_answers_200(
    migrated_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=_http.logger.name):
        status, text, opened = _silenced_get(migrated_url)
    assert status == 200, text
    assert json.loads(text)["username"] == os.environ["ADMIN_USERNAME"]
    assert opened == 1  # the retry's fresh connection
    retried = [r.getMessage() for r in caplog.records if r.name == _http.logger.name]
    assert retried == [
        "GET /api/auth/me: database connection lost (driver error 2013); running it once more"
    ]


@pytest.mark.mariadb
def test_without_the_retry_the_same_get_is_a_503(
    migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the relay really kills the pooled connection, and a lost connection that
    is not retried answers 503 with Retry-After (it was a generic 500 before)."""
    monkeypatch.setattr(_http, "RETRIED_METHODS", frozenset())
    status, text, opened = _silenced_get(migrated_url)
    assert status == 503, text
    assert json.loads(text)["type"].endswith("/database-unavailable")
    assert opened == 0

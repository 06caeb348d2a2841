"""Two administrators demoting each other at once on MariaDB: exactly one of them wins."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shared import accounts
from shared.db import transaction
from shared.errors import Conflict
from shared.models import User
from shared.schemas import UserUpdate
from tests.utils.factories import make_user
from tests.utils.services import mariadb_database

DEMOTE = UserUpdate(role="client")


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """MariaDB only: SQLite serialises writers, so there is no row-lock race to exercise."""
    with mariadb_database() as url:
        yield url


def _admins(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).where(User.role == "admin")) or 0


@pytest.mark.mariadb
@pytest.mark.parametrize("second", ["demote", "delete"])
def test_the_second_of_two_crossing_demotions_waits_and_is_refused(
    sessions: sessionmaker[Session], second: str
) -> None:
    with transaction(sessions) as session:
        for row in session.scalars(select(User).where(User.role == "admin")):
            row.role = "client"
        a, b = make_user(session, role="admin"), make_user(session, role="admin")
        a_id, b_id = a.id, b.id
    outcome: list[BaseException | str] = []

    def other_admin() -> None:  # B demotes (or deletes) A while A's demotion of B is open
        try:
            with transaction(sessions) as session:
                if second == "demote":
                    accounts.update_user(session, user_id=a_id, data=DEMOTE)
                else:
                    accounts.delete_user(session, user_id=a_id, acting_user_id=b_id)
            outcome.append("succeeded")
        except BaseException as exc:  # handed to the main thread
            outcome.append(exc)

    with transaction(sessions) as first:
        accounts.update_user(first, user_id=b_id, data=DEMOTE)
        worker = threading.Thread(target=other_admin)
        worker.start()
        time.sleep(0.5)
        assert worker.is_alive(), "the second change must wait for the first one's locks"
    worker.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict), outcome
    assert _admins(sessions) == 1

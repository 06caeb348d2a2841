"""Make sure the configured administrator exists whenever no administrator does."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from shared import sessions
from shared.db import transaction
from shared.models import User
from shared.ownership import unassign_owned
from shared.security.passwords import hash_password

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker

    from shared.settings import Settings


class Bootstrappable(Protocol):
    """What bootstrapping needs of the platform (no import of shared.platform: no cycle)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def sessions(self) -> sessionmaker[Session]: ...


logger = logging.getLogger(__name__)


def ensure_bootstrap_admin(platform: Bootstrappable) -> bool:
    """Create (or restore) ADMIN_USERNAME as an admin when no administrator exists.

    Restoring: when the configured username exists as a client (e.g. the last administrator was
    demoted), it becomes an administrator again with the configured password, its old tokens
    and sessions end and its devices are unassigned. A database error is logged, never raised:
    the platform still starts and the next start tries again. True when something changed.
    """
    for _attempt in range(3):
        try:
            with transaction(platform.sessions) as session:
                return _ensure(session, platform.settings)
        except IntegrityError:
            logger.info("bootstrap administrator written concurrently; checking again")
        except SQLAlchemyError:
            logger.exception("could not check or restore the bootstrap administrator")
            return False
    return False


def _ensure(session: Session, settings: Settings) -> bool:
    admins = session.scalars(select(User.id).where(User.role == "admin").with_for_update()).all()
    if admins:
        return False
    name = settings.ADMIN_USERNAME
    existing = session.scalar(
        select(User).where(func.lower(User.username) == name.lower()).with_for_update()
    )
    password_hash = hash_password(settings.ADMIN_PASSWORD)
    if existing is None:
        session.add(
            User(username=name, name="Administrator", role="admin", password_hash=password_hash)
        )
        logger.warning("created bootstrap administrator %s", name)
        return True
    unassign_owned(session, existing.id)
    existing.role, existing.password_hash = "admin", password_hash
    existing.token_version += 1
    sessions.end_all(session, existing.id)
    logger.warning("no administrator left: restored %s as the bootstrap administrator", name)
    return True

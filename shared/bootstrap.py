"""Create the bootstrap administrator on first start."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shared.db import transaction
from shared.models import User
from shared.security.passwords import hash_password

if TYPE_CHECKING:
    from shared.platform import Platform

logger = logging.getLogger(__name__)


def ensure_bootstrap_admin(platform: Platform) -> bool:
    """Create ADMIN_USERNAME as an admin when no administrator exists; True if created."""
    settings = platform.settings
    try:
        with transaction(platform.sessions) as session:
            if session.scalar(select(User.id).where(User.role == "admin").limit(1)) is not None:
                return False
            session.add(
                User(
                    username=settings.ADMIN_USERNAME,
                    name="Administrator",
                    role="admin",
                    password_hash=hash_password(settings.ADMIN_PASSWORD),
                )
            )
    except IntegrityError:
        logger.info(
            "bootstrap admin %s already created by another process", settings.ADMIN_USERNAME
        )
        return False
    logger.warning("created bootstrap administrator %s", settings.ADMIN_USERNAME)
    return True

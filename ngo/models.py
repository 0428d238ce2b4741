"""Every model, imported in one place so that Alembic and the tests see the whole schema."""

from ngo.accounts.models import (
    Invitation,
    Membership,
    Organisation,
    PasswordReset,
    RecoveryCode,
    User,
)
from ngo.audit import AuditEvent
from ngo.outbox import OutboxMessage

__all__ = [
    "AuditEvent",
    "Invitation",
    "Membership",
    "Organisation",
    "OutboxMessage",
    "PasswordReset",
    "RecoveryCode",
    "User",
]

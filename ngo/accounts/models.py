from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ngo.accounts.slugs import SLUG_MAX, slugify, unique_slug
from ngo.crypto import EncryptedText
from ngo.extensions import Model
from ngo.timeutil import utcnow


class Role(StrEnum):
    ADMIN = "admin"
    CASEWORKER = "caseworker"
    VERIFIER = "verifier"
    TREASURER = "treasurer"
    FUNDER = "funder"


# Staff see personal data of beneficiaries or move money, so they must use two factors.
STAFF_ROLES = frozenset({Role.ADMIN, Role.CASEWORKER, Role.VERIFIER, Role.TREASURER})


def _default_slug(context: DefaultExecutionContext) -> str:
    """A readable public slug from the name, made unique against the stored ones."""
    base = slugify(str(context.get_current_parameters()["name"]))
    table = Organisation.__table__
    taken = set(
        context.connection.scalars(
            select(table.c.slug).where(table.c.slug.like(f"{base[: SLUG_MAX - 4]}%"))
        )
    )
    return unique_slug(base, taken)


class Organisation(Model):
    """An NGO. Its public details (legal name to "how we verify") are shown on its public page
    and on each of its appeals: they are the organisation's, never a beneficiary's. The short
    name is what a donor's card statement and transfer reference show, so it is neutral."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), unique=True, default=_default_slug)
    legal_name: Mapped[str | None] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(22))
    postal_address: Mapped[str | None] = mapped_column(String(500))
    registration_number: Mapped[str | None] = mapped_column(String(64))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(300))
    about: Mapped[str | None] = mapped_column(Text)
    how_we_verify: Mapped[str | None] = mapped_column(Text)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(8))
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    # Demo accounts skip two-factor enrolment in development only; see policy.needs_second_factor.
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Wrong passwords and codes since the last sign-in; every LOGIN_LOCKOUT_THRESHOLD of them
    # pause sign-in until locked_until, longer each time. locked_at is different: a deliberate
    # lock by an administrator or operator, lifted only by one of them.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    locked_at: Mapped[datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    totp_enabled_at: Mapped[datetime | None]
    # The last accepted TOTP time step: a code is accepted once, never replayed.
    totp_last_step: Mapped[int | None]
    # Bumped on password change, lock and 2FA reset, which ends every other session of the user.
    session_version: Mapped[int] = mapped_column(default=1)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.locked_at is None and self.password_hash is not None

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enabled_at is not None


class Membership(Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by an admin of this organisation: the membership stays, but cannot act (policy.may).
    suspended_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="memberships")

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def audit_object(self) -> tuple[str, int]:
        """What audit events about it are filed under (ngo.audit.record_change)."""
        return ("user", self.user_id)

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class Invitation(Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > utcnow()

    @property
    def audit_object(self) -> tuple[str, int]:
        """What audit events about it are filed under (ngo.audit.record_change)."""
        return ("invitation", self.id)


class PasswordReset(Model):
    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class RecoveryCode(Model):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]

"""Following an appeal by e-mail, with double opt-in.

A reader leaves an address; it gets a link to confirm, and nothing else until it is confirmed.
The address is a donor's personal data: it is stored encrypted with a keyed blind index to find
a repeat, and dropped again when its owner unsubscribes. The public answer is the same whether
or not the address was already following, so the form cannot tell anyone who follows what.
Links carry a random token; the same token confirms and unsubscribes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from ngo import outbox
from ngo.campaigns import notifications
from ngo.campaigns.models import Appeal, UpdateSubscription
from ngo.campaigns.visibility import is_listed
from ngo.config import LANGUAGES
from ngo.crypto import blind_index
from ngo.extensions import db
from ngo.rules import RuleError
from ngo.timeutil import utcnow

EMAIL_MAX = 254
TOKEN_MAX = 48
INDEX_PURPOSE = "subscription-email"
CONFIRMATION_RESEND_AFTER = timedelta(days=1)


class FollowError(RuleError):
    """A rule of following an appeal was broken."""


def checked_email(email: str | None, *, field: str = "email") -> str:
    """A syntactically valid address (no DNS look-up), or FollowError for the form field."""
    raw = (email or "").strip()
    if not raw:
        raise FollowError(_l("Enter your e-mail address."), field=field)
    if len(raw) > EMAIL_MAX:
        raise FollowError(
            _l("Use at most %(max)d characters for the e-mail address.", max=EMAIL_MAX),
            field=field,
        )
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        # Its message repeats the address: say it in our words instead.
        raise FollowError(
            _l("Enter a valid e-mail address, like name@example.org."), field=field
        ) from None


def email_index(address: str) -> str:
    return blind_index(INDEX_PURPOSE, address.strip().lower())


def subscribe(appeal: Appeal, email: str, language: str) -> UpdateSubscription:
    """Start (or restart) following and send the confirmation link; the caller commits.

    A repeat for the same address (found by its blind index) creates nothing new, and sends
    the link again only if the last one went out more than a day ago; the caller answers the
    same either way. An address that had unsubscribed needs to confirm again. Two requests for
    one new address at the same moment meet the unique index: the flush raises IntegrityError,
    and the caller may roll back and call again, which then finds the row.
    """
    if not is_listed(appeal):
        raise FollowError(_l("This appeal is not on the public site."))
    address = checked_email(email)
    index = email_index(address)
    language = language if language in LANGUAGES else appeal.fallback_language
    subscription = _find(appeal.id, index)
    if subscription is None:
        subscription = UpdateSubscription(
            appeal_id=appeal.id,
            email=address,
            email_index=index,
            language=language,
            token=secrets.token_urlsafe(32),
        )
        db.session.add(subscription)
    if subscription.unsubscribed_at is not None:
        subscription.unsubscribed_at = None
        subscription.confirmed_at = None
    if subscription.confirmed_at is None:
        subscription.email = address
        subscription.language = language
    now, sent = utcnow(), subscription.confirmation_sent_at
    send_link = sent is None or now - sent >= CONFIRMATION_RESEND_AFTER
    if send_link:
        subscription.confirmation_sent_at = now
    db.session.flush()
    if send_link:
        outbox.enqueue(
            notifications.FOLLOW_CONFIRMATION_EMAIL,
            {"subscription_id": subscription.id},
            organisation_id=appeal.organisation_id,
        )
    return subscription


def _find(appeal_id: int, index: str) -> UpdateSubscription | None:
    return db.session.scalars(
        select(UpdateSubscription).where(
            UpdateSubscription.appeal_id == appeal_id, UpdateSubscription.email_index == index
        )
    ).first()


def find_by_token(token: str) -> UpdateSubscription | None:
    if not token or len(token) > TOKEN_MAX:
        return None
    return db.session.scalars(
        select(UpdateSubscription).where(UpdateSubscription.token == token)
    ).first()


def confirm_subscription(token: str) -> UpdateSubscription | None:
    """Confirm the address behind this token; None for an unknown token. A subscription that
    was ended stays ended: only a new request to follow starts it again."""
    subscription = find_by_token(token)
    if subscription is None:
        return None
    if subscription.unsubscribed_at is None and subscription.confirmed_at is None:
        subscription.confirmed_at = utcnow()
        subscription.mail_failed_at = subscription.mail_failure = None  # the mailbox works
    return subscription


def unsubscribe(token: str) -> UpdateSubscription | None:
    """Stop all mail to this subscription and forget its address; None for an unknown token.
    The blind index stays, so that following again finds the same row."""
    subscription = find_by_token(token)
    if subscription is None:
        return None
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = utcnow()
        subscription.email = ""
        # Following again is a new start and gets its link at once. Nobody else can make the
        # address go round this loop: unsubscribing takes the token only its owner was sent.
        subscription.confirmation_sent_at = None
    return subscription


@dataclass(frozen=True)
class FollowerCounts:
    """For staff: how many confirmed followers get an appeal's updates, and how many
    addresses their mail server refused for good (they get none until they confirm again)."""

    receiving: int
    refused: int


def follower_counts(appeal: Appeal) -> FollowerCounts:
    active = and_(
        UpdateSubscription.appeal_id == appeal.id,
        UpdateSubscription.confirmed_at.is_not(None),
        UpdateSubscription.unsubscribed_at.is_(None),
    )
    refused = UpdateSubscription.mail_failed_at.is_not(None)
    count = func.count(UpdateSubscription.id)
    return FollowerCounts(
        receiving=db.session.scalar(select(count).where(active, ~refused)) or 0,
        refused=db.session.scalar(
            select(count).where(
                UpdateSubscription.appeal_id == appeal.id,
                UpdateSubscription.unsubscribed_at.is_(None),
                refused,
            )
        )
        or 0,
    )

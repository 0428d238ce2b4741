"""An organisation's public details: who runs an appeal, and how donors reach them.

These are the organisation's own facts, shown on its public page and on every appeal it runs;
no beneficiary's data belongs here. Their free texts ("about", "how we verify") are public
texts like an appeal's, so higher domains may register a check on them (`register_check`:
the donations domain runs the publication safety check against the organisation's cases).

The short name is what a donor's card statement and bank transfer reference show. In the
states these families fled, a statement line naming a cause is evidence against the donor, so
it is plain ASCII (what card networks and banks print), short, and should be as neutral as
the organisation can make it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ngo import audit
from ngo.accounts.models import Organisation, User
from ngo.accounts.services import AccountError, normalise_email
from ngo.accounts.slugs import SLUG_MAX, is_valid_slug
from ngo.extensions import db

SHORT_NAME_MAX = 22
# Card networks refuse shorter descriptors.
SHORT_NAME_MIN = 5
_SHORT_NAME = re.compile(r"^[A-Za-z0-9 ]+$")
TEXT_MAX = 2000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIMITS = {
    "legal_name": 200,
    "postal_address": 500,
    "registration_number": 64,
    "contact_email": 254,
    "website": 300,
    "about": TEXT_MAX,
    "how_we_verify": TEXT_MAX,
}
_CHECKS = "ngo.accounts.public_text_checks"

PublicTextCheck = Callable[[Organisation, Mapping[str, str]], None]


@dataclass(frozen=True)
class OrganisationDetails:
    """What an admin sets; empty strings for what is not given."""

    slug: str
    legal_name: str
    short_name: str
    postal_address: str = ""
    registration_number: str = ""
    contact_email: str = ""
    website: str = ""
    about: str = ""
    how_we_verify: str = ""


# The texts higher domains check (and the public page shows as paragraphs).
PUBLIC_TEXTS = ("about", "how_we_verify")


def register_check(app: Flask, check: PublicTextCheck) -> None:
    """Have `check(organisation, texts)` run on every save of the public texts; it raises a
    RuleError (with the field it is about) to refuse. Called from a domain's init_app."""
    checks: list[PublicTextCheck] = app.extensions.setdefault(_CHECKS, [])
    if check not in checks:
        checks.append(check)


def _one_line(value: str) -> str:
    return " ".join((value or "").split())


def _lines(value: str) -> str:
    """Keep line breaks (an address, paragraphs), tidy the spaces within each line."""
    lines = [" ".join(line.split()) for line in (value or "").strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def check_short_name(value: str) -> str:
    """The short name as stored (single spaces), or an AccountError saying what is wrong."""
    name = _one_line(value)
    if not name:
        raise AccountError(_l("Give the organisation a short name."), field="short_name")
    if not _SHORT_NAME.match(name):
        raise AccountError(
            _l("Use only letters A to Z, digits and spaces in the short name."),
            field="short_name",
        )
    if not SHORT_NAME_MIN <= len(name) <= SHORT_NAME_MAX:
        raise AccountError(
            _l(
                "Use between %(min)d and %(max)d characters for the short name.",
                min=SHORT_NAME_MIN,
                max=SHORT_NAME_MAX,
            ),
            field="short_name",
        )
    if not any(c.isalpha() for c in name):
        raise AccountError(_l("Put at least one letter in the short name."), field="short_name")
    return name


def check_website(value: str) -> str:
    url = value.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
        raise AccountError(
            _l("Enter the website's full address, like https://example.org."), field="website"
        )
    return url


def _cleaned(details: OrganisationDetails) -> dict[str, str]:
    values = {
        "slug": details.slug.strip().lower(),
        "legal_name": _one_line(details.legal_name),
        "short_name": check_short_name(details.short_name),
        "postal_address": _lines(details.postal_address),
        "registration_number": _one_line(details.registration_number),
        "contact_email": normalise_email(details.contact_email or ""),
        "website": check_website(details.website),
        "about": _lines(details.about),
        "how_we_verify": _lines(details.how_we_verify),
    }
    if not is_valid_slug(values["slug"]):
        raise AccountError(
            _l(
                "Use %(min)d to %(max)d lower-case letters, digits and single hyphens for the "
                "address of the public page.",
                min=3,
                max=SLUG_MAX,
            ),
            field="slug",
        )
    if not values["legal_name"]:
        raise AccountError(_l("Give the organisation's legal name."), field="legal_name")
    if not values["contact_email"]:
        raise AccountError(_l("Give an e-mail address donors can write to."), field="contact_email")
    if not _EMAIL.match(values["contact_email"]):
        raise AccountError(
            _l("Enter a valid e-mail address, like name@example.org."), field="contact_email"
        )
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            raise AccountError(_l("Use at most %(max)d characters here.", max=limit), field=name)
    return values


def update_organisation_details(
    organisation: Organisation, details: OrganisationDetails, *, actor: User
) -> list[str]:
    """Validate and store the public details; returns the names of the fields that changed.
    The audit event names the changed fields only, never their values."""
    values = _cleaned(details)
    clash = db.session.scalar(
        select(Organisation.id).where(
            func.lower(Organisation.slug) == values["slug"], Organisation.id != organisation.id
        )
    )
    if clash:
        raise AccountError(
            _l("Another organisation already has this address. Choose another one."),
            field="slug",
        )
    if has_app_context():
        texts = {name: values[name] for name in PUBLIC_TEXTS}
        for check in current_app.extensions.get(_CHECKS, []):
            check(organisation, texts)
    changed = [
        name for name, value in values.items() if (getattr(organisation, name) or "") != value
    ]
    for name in changed:
        setattr(organisation, name, values[name] or None)
    if changed:
        audit.record(
            "organisation.details_changed",
            actor_id=actor.id,
            organisation_id=organisation.id,
            object_type="organisation",
            object_id=organisation.id,
            details={"fields": changed},
        )
        db.session.flush()
    return changed


def details_of(organisation: Organisation) -> OrganisationDetails:
    """What the settings form starts from."""
    return OrganisationDetails(
        **{f.name: getattr(organisation, f.name) or "" for f in fields(OrganisationDetails)}
    )

"""Who runs an appeal: the public face of an organisation, read from its public columns only
(never its bank accounts' history, staff or any case)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select

from ngo.accounts.models import Organisation
from ngo.campaigns.models import Appeal
from ngo.campaigns.visibility import publicly_listed
from ngo.extensions import db
from ngo.public.browse.cards import CARD_COLUMNS, Card, cards_from

# The organisation page lists at most this many of its appeals, newest first.
APPEALS_SHOWN = 60


@dataclass(frozen=True)
class PublicOrganisation:
    slug: str
    name: str
    legal_name: str | None
    registration_number: str | None
    postal_address: str | None
    contact_email: str | None
    website: str | None
    about: str | None
    how_we_verify: str | None


_PUBLIC_COLUMNS = (
    Organisation.slug,
    Organisation.name,
    Organisation.legal_name,
    Organisation.registration_number,
    Organisation.postal_address,
    Organisation.contact_email,
    Organisation.website,
    Organisation.about,
    Organisation.how_we_verify,
)


@cache
def _by_slug() -> Select[*tuple[Any, ...]]:
    return select(Organisation.id, *_PUBLIC_COLUMNS).where(Organisation.slug == bindparam("slug"))


def _public(slug: str) -> tuple[int, PublicOrganisation] | None:
    row = db.session.execute(_by_slug(), {"slug": slug}).first()
    if row is None:
        return None
    return row.id, PublicOrganisation(**{c.key: row._mapping[c.key] for c in _PUBLIC_COLUMNS})


def public_organisation(slug: str, locale: str) -> tuple[PublicOrganisation, list[Card]] | None:
    """The organisation with this slug and the cards of its listed appeals, or None."""
    if not slug or len(slug) > 64 or not slug.isascii():
        return None
    found = _public(slug)
    if found is None:
        return None
    organisation_id, organisation = found
    stmt = (
        select(*CARD_COLUMNS)
        .where(Appeal.organisation_id == organisation_id, publicly_listed())
        .order_by(Appeal.published_at.desc(), Appeal.id.desc())
        .limit(APPEALS_SHOWN)
    )
    return organisation, cards_from(stmt, locale)

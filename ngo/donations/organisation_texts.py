"""The publication safety check over an organisation's public texts ("about", "how we
verify"): they are shown on its public page and beside every appeal it runs, so they may not
carry the private values of any person the organisation helps. Registered with accounts by
donations.init_app (accounts, the lowest domain, knows no case)."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ngo.accounts.models import Organisation
from ngo.campaigns import safety
from ngo.cases.consent import consented_items
from ngo.cases.models import Beneficiary, ConsentAudience
from ngo.extensions import db
from ngo.rules import RuleError

PART_LABELS = {"about": _l("about the organisation"), "how_we_verify": _l("how we verify")}


class OrganisationTextError(RuleError):
    """Private information of a person the organisation helps was found in a public text.
    The message names the part only, never what was found."""


def first_finding(
    organisation: Organisation, texts: Mapping[str, str], audience: ConsentAudience
) -> safety.Finding | None:
    """The first private value of any person the organisation helps (erased ones aside) found
    in `texts` (field name -> text), each person's values that they agreed to show `audience`
    allowed; None when there is none. The finding's context repeats the value: a refusal names
    its field only. Also the check of the receipts' tax notes (donors read them)."""
    if not any(text.strip() for text in texts.values()):
        return None
    people = db.session.scalars(
        select(Beneficiary).where(
            Beneficiary.organisation_id == organisation.id, Beneficiary.erased_at.is_(None)
        )
    )
    for person in people:
        consented = consented_items(person.id, audience)
        findings = safety.scan_texts(texts, safety.private_values_of(person, consented))
        if findings:
            return findings[0]
    return None


def check_organisation_texts(organisation: Organisation, texts: Mapping[str, str]) -> None:
    finding = first_finding(organisation, texts, ConsentAudience.PUBLIC_PAGE)
    if finding is not None:
        raise OrganisationTextError(
            _l(
                "Private information about a person you help was found in this text "
                "(%(part)s). Remove it and save again.",
                part=PART_LABELS.get(finding.field, finding.field),
            ),
            field=finding.field,
        )

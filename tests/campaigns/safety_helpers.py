"""The seed case's private values, built in memory (the safety check only reads the fields),
and short ways to scan a text against them."""

from __future__ import annotations

from dataclasses import asdict

from ngo.campaigns import safety
from ngo.campaigns.safety import Finding, PrivateValue
from ngo.cases.models import Beneficiary, ConsentItem, HouseholdMember, RiskLevel
from ngo.demo import cases as demo

# What the seed appeal's person agreed to show (the city deliberately not).
SEED_CONSENT = frozenset(
    {
        ConsentItem.PUBLIC_NAME,
        ConsentItem.STORY,
        ConsentItem.IMPRISONMENT_HISTORY,
        ConsentItem.FAMILY_DETAILS,
    }
)
NO_FAMILY = SEED_CONSENT - {ConsentItem.FAMILY_DETAILS}


def seed_person(**changes) -> Beneficiary:
    """The seed case of ngo/demo/cases.py (its data and household), in memory; `changes`
    replace fields, `household=[(relationship, first name, age), ...]` the household."""
    fields = asdict(demo.seed_person_data())
    fields["risk_level"] = RiskLevel(fields["risk_level"]).value
    household = changes.pop("household", demo.SEED_HOUSEHOLD)
    fields.update(changes)
    person = Beneficiary(**fields)
    for relationship, first_name, age in household:
        person.household.append(
            HouseholdMember(
                relationship_to_beneficiary=relationship, first_name=first_name, age=age
            )
        )
    return person


def scan(
    text: str,
    consented: frozenset[ConsentItem] = SEED_CONSENT,
    *,
    person: Beneficiary | None = None,
    extra: tuple[PrivateValue, ...] = (),
    field: str = "story",
) -> list[Finding]:
    private = safety.private_values_of(person or seed_person(), consented, list(extra))
    return safety.scan_texts({field: text}, private)


def found(text: str, **options) -> list[tuple[str, str]]:
    """(kind, the source text the finding points at) of every finding."""
    return [(f.kind, text[f.start : f.end]) for f in scan(text, **options)]


def values(kind: str, value: str) -> list[PrivateValue]:
    return [PrivateValue(kind, value)]

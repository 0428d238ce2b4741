"""Texts that must pass: every demo appeal against its own person's private values.

tests/campaigns/test_demo_appeals.py seeds these through the real gate (slow); this reads the
same files directly, so that a false positive of the check shows here in a second, with the
field and the context it was found in.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ngo.campaigns import safety
from ngo.cases.models import Beneficiary, ConsentItem, HouseholdMember
from ngo.demo import cases as demo
from tests.campaigns.safety_helpers import NO_FAMILY, SEED_CONSENT, seed_person

ROOT = Path(__file__).resolve().parents[2]
DEMO_APPEALS = sorted((ROOT / "ngo" / "demo" / "content" / "appeals").glob("*.toml"))
SEED_STORY = demo.seed_story_body()


def person_of(data: dict) -> Beneficiary:
    fields = data["person"]
    person = Beneficiary(
        **{
            key: fields.get(key)
            for key in (
                "legal_name",
                "public_name",
                "date_of_birth",
                "phone",
                "email",
                "messenger",
                "city_of_residence",
                "country_of_residence",
            )
        }
    )
    for member in fields.get("household", []):
        person.household.append(
            HouseholdMember(
                relationship_to_beneficiary=member["relationship"],
                first_name=member["first_name"],
                age=member.get("age"),
            )
        )
    return person


def public_texts(data: dict) -> dict[str, str]:
    """What the appeal publishes, keyed like services.public_texts."""
    texts: dict[str, str] = {}
    for language, text in data["text"].items():
        for part in ("title", "summary", "story", "display_name"):
            texts[f"{language}:{part}"] = text.get(part, "")
    for n, line in enumerate(data.get("lines", [])):
        for language, label in line["label"].items():
            texts[f"{language}:budget:{n}"] = label
    for n, update in enumerate(data.get("updates", [])):
        texts[f"update:{n}"] = f"{update['title']}\n{update['body']}"
    return texts


@pytest.mark.parametrize("path", DEMO_APPEALS, ids=lambda p: p.stem)
def test_a_demo_appeal_passes_against_its_own_person(path):
    data = tomllib.loads(path.read_text("utf-8"))
    consented = frozenset(ConsentItem(item) for item in data["person"]["consent"])
    private = safety.private_values_of(person_of(data), consented)
    findings = safety.scan_texts(public_texts(data), private)
    assert [(f.field, f.kind, f.context) for f in findings] == []


@pytest.mark.parametrize("consented", [SEED_CONSENT, NO_FAMILY])
def test_the_seed_story_passes_in_its_languages(consented):
    private = safety.private_values_of(seed_person(), consented)
    texts = {
        "en:story": SEED_STORY,
        "pl:story": SEED_STORY.replace("My name is Alexander", "Nazywam się Alexander"),
        "en:title": "Helping a former political prisoner and his family to survive financially",
    }
    assert safety.scan_texts(texts, private) == []


@pytest.mark.parametrize("path", DEMO_APPEALS, ids=lambda p: p.stem)
def test_other_peoples_appeals_do_not_flag_the_seed_case(path):
    """Twelve stories in five languages about other people: nothing of the seed case's values
    (the city not consented, the family not either) is in them."""
    data = tomllib.loads(path.read_text("utf-8"))
    private = safety.private_values_of(seed_person(), NO_FAMILY)
    findings = safety.scan_texts(public_texts(data), private)
    assert [(f.field, f.kind, f.context) for f in findings] == []

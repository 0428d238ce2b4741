"""The safety check's corpora, read from the data files next to this module.

- `leaks.toml`: attempts to publish a demo person's private value, each of which the check
  must catch. The leak itself is marked ⟦like this⟧ inside the text as written; the finding
  must lie within the marks.
- `clean.toml`: ordinary texts (other cities, dates, numbers, first names) that must pass
  against every demo case.
- `ordinary/*.md`: a few thousand words of ordinary prose for the false-positive bench.
- The published demo stories themselves: the seed story and every demo appeal's texts, each
  against its own case.

The people are the demo cases of `make run` (ngo/demo/cases.py, ngo/demo/content/appeals),
built in memory: the check reads only their fields, so no database is needed. Private values
come from `safety.private_values_of` with each case's own demo consents, unless an attempt
names the consents it takes away (the seed case consents to family details, so its household
names are private only without that consent).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from ngo.campaigns import safety
from ngo.cases.models import Beneficiary, ConsentItem, HouseholdMember
from ngo.demo.appeals import SEED_BUDGET, demo_appeals
from ngo.demo.cases import CONTENT as CASES_CONTENT
from ngo.demo.cases import STORY_TITLE

HERE = Path(__file__).parent
OPEN, CLOSE = "⟦", "⟧"

# The seed case, as ngo/demo/cases.py creates it (tests/campaigns/test_safety_corpus.py checks
# that the two agree).
ALEXANDER: dict[str, Any] = {
    "legal_name": "Аляксандр Кавалёў",
    "public_name": "Alexander",
    "date_of_birth": date(1979, 4, 12),
    "country_of_residence": "Poland",
    "city_of_residence": "Białystok",
    "phone": "+48 600 100 200",
    "email": "alexander.k@example.net",
    "messenger": "Signal: +48 600 100 200",
    "household": [
        {"relationship": "wife", "first_name": "Volha", "age": 41},
        {"relationship": "son", "first_name": "Mikita", "age": 11},
    ],
    "consent": ["public_name", "story", "imprisonment_history", "family_details", "photo"],
}
_PERSON_FIELDS = (
    "legal_name",
    "public_name",
    "date_of_birth",
    "country_of_residence",
    "city_of_residence",
    "phone",
    "email",
    "messenger",
)


@dataclass(frozen=True)
class Case:
    """A demo person, their demo consents and the public texts of their demo appeal."""

    key: str
    person: dict[str, Any]
    consent: frozenset[ConsentItem]
    texts: dict[str, str]
    status: str

    def beneficiary(self) -> Beneficiary:
        person = Beneficiary(**{k: self.person.get(k) for k in _PERSON_FIELDS})
        for member in self.person.get("household", []):
            person.household.append(
                HouseholdMember(
                    relationship_to_beneficiary=member["relationship"],
                    first_name=member["first_name"],
                    age=member.get("age"),
                )
            )
        return person

    def private(
        self,
        without: frozenset[ConsentItem] = frozenset(),
        extra: tuple[safety.PrivateValue, ...] = (),
    ) -> list[safety.PrivateValue]:
        return safety.private_values_of(self.beneficiary(), self.consent - without, extra)


def _short_key(file_key: str) -> str:
    """ "01-viktar-treatment" -> "viktar"."""
    return file_key.split("-")[1]


def _appeal_texts(data: dict[str, Any]) -> dict[str, str]:
    """Every public text of a demo appeal, named as `services.public_texts` names them."""
    texts: dict[str, str] = {}
    for language in data["languages"]:
        text = data["text"][language]
        texts[f"{language}:title"] = text["title"]
        texts[f"{language}:summary"] = text.get("summary", "").strip()
        texts[f"{language}:story"] = text["story"].strip()
        texts[f"{language}:display_name"] = text.get("display_name", "")
    for number, line in enumerate(data["lines"], start=1):
        for language, label in line["label"].items():
            texts[f"{language}:budget:{number}"] = label
    for number, update in enumerate(data.get("updates", []), start=1):
        texts[f"update:{number}"] = f"{update['title']}\n{update['body'].strip()}"
    return texts


@cache
def demo_cases() -> dict[str, Case]:
    seed_texts = {
        "en:title": STORY_TITLE,
        "en:story": (CASES_CONTENT / "alexander_story.md").read_text(encoding="utf-8").strip(),
    }
    for number, (label, _amount, _essential) in enumerate(SEED_BUDGET, start=1):
        seed_texts[f"en:budget:{number}"] = label
    cases = {
        "alexander": Case(
            "alexander",
            ALEXANDER,
            frozenset(ConsentItem(c) for c in ALEXANDER["consent"]),
            seed_texts,
            "published",
        )
    }
    for spec in demo_appeals():
        person = spec.data["person"]
        key = _short_key(spec.key)
        cases[key] = Case(
            key,
            person,
            frozenset(ConsentItem(c) for c in person["consent"]),
            _appeal_texts(spec.data),
            spec.data["status"],
        )
    return cases


# The leak corpus ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leak:
    case: str
    kind: str
    source: str  # the text as the author wrote it, marks removed
    start: int  # where the leak lies in `source`
    end: int
    note: str
    accept: frozenset[str] = field(default=frozenset())  # other kinds that report the value
    without: frozenset[ConsentItem] = field(default=frozenset())

    @property
    def leaked(self) -> str:
        return self.source[self.start : self.end]


def _unmark(text: str) -> tuple[str, int, int]:
    if text.count(OPEN) != 1 or text.count(CLOSE) != 1 or text.index(OPEN) > text.index(CLOSE):
        raise ValueError(f"mark the leak once with {OPEN}...{CLOSE}: {text!r}")
    start = text.index(OPEN)
    end = text.index(CLOSE) - 1
    return text.replace(OPEN, "").replace(CLOSE, ""), start, end


@cache
def _leak_file() -> dict[str, Any]:
    return tomllib.loads((HERE / "leaks.toml").read_text(encoding="utf-8"))


def extra_values(case: str) -> tuple[safety.PrivateValue, ...]:
    """What staff added by hand to a case (document numbers, a street address): invented for
    the corpus, the demo cases have none."""
    extra = _leak_file().get("extra", {}).get(case, [])
    return tuple(safety.PrivateValue(e["kind"], e["value"]) for e in extra)


@cache
def leaks() -> list[Leak]:
    found = []
    for group in _leak_file()["group"]:
        for entry in group["leak"]:
            text = entry["text"] if isinstance(entry, dict) else entry
            note = entry.get("note", "") if isinstance(entry, dict) else ""
            source, start, end = _unmark(text)
            without = group.get("without_consent", [])
            found.append(
                Leak(
                    case=group["case"],
                    kind=group["kind"],
                    source=source,
                    start=start,
                    end=end,
                    note=note or group.get("note", ""),
                    accept=frozenset(group.get("accept", [])),
                    without=frozenset(ConsentItem(c) for c in without),
                )
            )
    return found


# The clean corpus -----------------------------------------------------------------------------


@cache
def clean_texts() -> list[str]:
    data = tomllib.loads((HERE / "clean.toml").read_text(encoding="utf-8"))
    return [t.strip() for t in data["text"]]


def ordinary_prose() -> dict[str, str]:
    """Language code -> a few thousand words of ordinary prose, as Markdown."""
    return {
        path.stem: path.read_text(encoding="utf-8")
        for path in sorted((HERE / "ordinary").glob("*.md"))
    }

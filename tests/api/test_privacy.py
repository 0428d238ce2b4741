"""The API shows public tables only: nothing of the demo case's private values in any answer,
and an appeal taken down (consent withdrawn) is gone from the list and answers 410 without
saying why."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from ngo.accounts.models import User
from ngo.cases import consent
from ngo.cases.models import (
    Beneficiary,
    Consent,
    ConsentAudience,
    ConsentItem,
    HouseholdMember,
)
from ngo.cases.names import fold_to_latin
from ngo.config import LANGUAGES
from ngo.extensions import db
from tests.api.conftest import listed_appeals, walk

LIST = "/api/v1/appeals"


def _every_answer(get, slugs: list[str]) -> str:
    urls = [f"{LIST}?limit=100", f"{LIST}?q=alexander", "/api/v1/openapi.json"]
    for slug in slugs:
        urls += [f"{LIST}/{slug}", *(f"{LIST}/{slug}?lang={lang}" for lang in LANGUAGES)]
    texts = []
    for url in urls:
        response, _ = get(url)
        assert response.status_code == 200, url
        texts.append(response.get_data(as_text=True))
    # JSON may escape non-ASCII letters: compare the decoded text.
    return json.dumps([json.loads(t) for t in texts], ensure_ascii=False)


def _family_is_public(case: Beneficiary) -> bool:
    return (
        db.session.scalar(
            select(Consent.id).where(
                Consent.beneficiary_id == case.id,
                Consent.item == ConsentItem.FAMILY_DETAILS.value,
                Consent.audience == ConsentAudience.PUBLIC_PAGE.value,
                Consent.withdrawn_at.is_(None),
            )
        )
        is not None
    )


def test_no_private_value_of_the_demo_cases_in_any_answer(get, demo_appeal):
    listed = listed_appeals()
    assert demo_appeal in listed and len(listed) > 1
    text = _every_answer(get, [a.slug for a in listed])
    words = {fold_to_latin(word) for word in re.findall(r"\w+", text)}
    digits = re.sub(r"\D", "", text)
    checked = 0
    for case in db.session.scalars(
        select(Beneficiary).where(Beneficiary.id.in_({a.beneficiary_id for a in listed}))
    ):
        surname = case.legal_name.split()[-1]
        private = [case.legal_name, surname]
        if case.date_of_birth:
            born = case.date_of_birth
            private += [born.isoformat(), born.strftime("%d.%m.%Y"), born.strftime("%d/%m/%Y")]
        private += [value for value in (case.phone, case.email) if value]
        names = [surname]
        # Household first names are private unless the person consented to family details.
        if not _family_is_public(case):
            household = db.session.scalars(
                select(HouseholdMember).where(HouseholdMember.beneficiary_id == case.id)
            ).all()
            names += [m.first_name for m in household if m.first_name]
            private += names[1:]
        for value in private:
            assert value not in text, (case.id, value)
        for name in names:
            assert fold_to_latin(name) not in words, (case.id, name)
        if case.phone:
            assert re.sub(r"\D", "", case.phone) not in digits, case.id
        checked += 1
    assert checked == len({a.beneficiary_id for a in listed})
    alexander = db.session.get(Beneficiary, demo_appeal.beneficiary_id)
    assert alexander.legal_name.split()[-1] == "Кавалёў"  # checked above, with the others


def _withdraw_story_consent(beneficiary_id: int) -> None:
    story = db.session.scalars(
        select(Consent).where(
            Consent.beneficiary_id == beneficiary_id,
            Consent.item == "story",
            Consent.audience == "public_page",
        )
    ).one()
    caseworker = db.session.scalars(
        select(User).where(User.email == "caseworker@demo.ngo.example")
    ).one()
    consent.withdraw_consent(story, actor=caseworker)
    db.session.commit()


def test_an_unlisted_appeal_is_gone_and_absent(get, demo_appeal):
    response, body = get(f"{LIST}?limit=100")
    etag = response.headers["ETag"]
    before = [item["slug"] for item in body["data"]]
    assert demo_appeal.slug in before
    _withdraw_story_consent(demo_appeal.beneficiary_id)
    response, body = get(f"{LIST}/{demo_appeal.slug}")
    assert response.status_code == 410
    message = body["error"]["message"]
    assert message and "consent" not in message.lower() and "withdr" not in message.lower()
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    response, body = get(f"{LIST}?limit=100", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert [item["slug"] for item in body["data"]] == [s for s in before if s != demo_appeal.slug]
    for query in ("q=alexander", "category=families", "country=PL", "sort=deadline"):
        items = walk(get, f"&{query}", 100)
        assert demo_appeal.slug not in {item["slug"] for item in items}, query

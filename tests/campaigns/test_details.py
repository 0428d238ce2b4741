"""An appeal's details and its budget labels in more languages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ngo.campaigns import details
from ngo.campaigns.models import Category
from ngo.campaigns.services import AppealError
from ngo.extensions import db
from ngo.public import browse
from tests.campaigns.conftest import publish


def _details(appeal, staff, **changes):
    values = {
        "categories": ["families", "relocation"],
        "country": "pl",
        "deadline": date.today() + timedelta(days=30),
        "update_interval_days": 45,
    }
    values.update(changes)
    details.set_details(appeal, actor=staff["caseworker"], **values)


def test_details_are_stored_and_filtered_on(appeal, staff):
    _details(appeal, staff)
    db.session.commit()
    assert appeal.category_list == [Category.FAMILIES, Category.RELOCATION]
    assert (appeal.country, appeal.update_interval_days) == ("PL", 45)
    publish(appeal, staff)
    for args in ({"category": "relocation"}, {"country": "PL"}, {"country": "pl"}):
        assert browse.list_page(browse.parse_filters(args), 1, "en").total == 1, args
    for args in ({"category": "medical"}, {"country": "LT"}):
        assert browse.list_page(browse.parse_filters(args), 1, "en").total == 0, args


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"categories": ["pirates"]}, "categories"),
        ({"country": "XX"}, "country"),
        ({"country": "POL"}, "country"),
        ({"deadline": date.today()}, "deadline"),
        ({"deadline": date.today() + timedelta(days=1000)}, "deadline"),
        ({"update_interval_days": 3}, "update_interval_days"),
        ({"update_interval_days": 400}, "update_interval_days"),
    ],
)
def test_bad_details_are_refused_and_change_nothing(appeal, staff, changes, field):
    with pytest.raises(AppealError) as refused:
        _details(appeal, staff, **changes)
    assert refused.value.field == field
    db.session.rollback()
    assert (appeal.categories, appeal.country) == ("", None)


def test_a_budget_line_gets_a_label_in_another_language(appeal, staff):
    line = appeal.budget_lines[0]
    details.set_line_text(
        line,
        language="pl",
        label="Czynsz za trzy miesiące i kaucja",
        description="Umowa najmu w aktach",
        actor=staff["caseworker"],
    )
    db.session.commit()
    assert browse.line_text(line, "pl", "en") == (
        "Czynsz za trzy miesiące i kaucja",
        "Umowa najmu w aktach",
    )
    assert browse.line_text(line, "uk", "en")[0] == "Rent for three months and deposit"
    with pytest.raises(AppealError):
        details.set_line_text(
            line, language="xx", label="a", description="", actor=staff["caseworker"]
        )


def test_a_published_appeal_keeps_its_details(appeal, staff):
    publish(appeal, staff)
    with pytest.raises(AppealError, match="withdraw it first"):
        _details(appeal, staff)

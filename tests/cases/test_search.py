"""Name search over encrypted names: blind index, spelling variants, organisation scope, and a
constant number of SQL statements whatever the number of beneficiaries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from ngo.cases.listing import CaseFilters, list_cases
from ngo.cases.models import Beneficiary, BeneficiaryNameIndex
from ngo.cases.names import name_tokens
from ngo.cases.services import reindex_names
from ngo.extensions import db
from tests import factories

NAME = "Аляксандр Зяльцэр"


@pytest.fixture
def zeltser(organisation) -> Beneficiary:
    return factories.BeneficiaryFactory(organisation=organisation, legal_name=NAME)


def _found(organisation_id: int, query: str) -> list[int]:
    rows, total = list_cases(organisation_id, CaseFilters(name=query))
    assert total == len(rows)
    return [b.id for b in rows]


@pytest.mark.parametrize(
    "query",
    ["Aliaksandr", "Alexander", "zeltser", "Зельцер", "ALIAKSANDR ZELTSER", "Zelcer Aleksandr"],
)
def test_a_name_is_found_by_its_spellings(organisation, zeltser, query):
    factories.BeneficiaryFactory(organisation=organisation, legal_name="Сяргей Іваноў")
    assert _found(organisation.id, query) == [zeltser.id]


@pytest.mark.parametrize("query", ["Uladzimir", "Zeltser Siarhei", "Zelt", "Zeltsman"])
def test_a_different_name_does_not_find_the_person(organisation, zeltser, query):
    siarhei = factories.BeneficiaryFactory(organisation=organisation, legal_name="Сяргей Іваноў")
    found = _found(organisation.id, query)
    assert zeltser.id not in found
    # Every word must match: Siarhei alone would find Сяргей, but not together with Zeltser.
    assert found == []
    assert _found(organisation.id, "Siarhei") == [siarhei.id]


def test_search_is_scoped_to_the_organisation(organisation, zeltser):
    other = factories.OrganisationFactory()
    namesake = factories.BeneficiaryFactory(organisation=other, legal_name=NAME)
    assert _found(organisation.id, "Zeltser") == [zeltser.id]
    assert _found(other.id, "Zeltser") == [namesake.id]


def test_the_public_name_is_searchable_too(organisation):
    person = factories.BeneficiaryFactory(
        organisation=organisation, legal_name=NAME, public_name="Sasha"
    )
    assert _found(organisation.id, "Sasha") == [person.id]
    assert _found(organisation.id, "Sasha Zeltser") == [person.id]


def test_index_rows_hold_keyed_hashes_and_no_plaintext(app, organisation, zeltser):
    rows = db.session.scalars(
        select(BeneficiaryNameIndex).where(BeneficiaryNameIndex.beneficiary_id == zeltser.id)
    ).all()
    assert len(rows) == len(name_tokens(NAME)) == 2
    skeletons = name_tokens(NAME)
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{32}", row.token)
        assert row.organisation_id == organisation.id
        for plain in [*skeletons, *NAME.lower().split(), "aliaksandr", "zeltser"]:
            assert plain not in row.token
    # Keyed: with another index key the same name hashes differently, so the tokens cannot
    # be recomputed from a dictionary of names without the key.
    before = {r.token for r in rows}
    app.config["NGO_INDEX_KEY"] = "another-index-key-for-this-test-only-0123456789"
    reindex_names(zeltser)
    db.session.flush()
    after = set(
        db.session.scalars(
            select(BeneficiaryNameIndex.token).where(
                BeneficiaryNameIndex.beneficiary_id == zeltser.id
            )
        )
    )
    assert before.isdisjoint(after)
    db.session.rollback()


# Statement count ---------------------------------------------------------------------------


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _add_namesakes(organisation_id: int, start: int, count: int) -> None:
    """`count` people all called Aliaksandr, so that every one of them matches the search."""
    people = [
        Beneficiary(organisation_id=organisation_id, legal_name=f"Аляксандр Surname{n}")
        for n in range(start, start + count)
    ]
    db.session.add_all(people)
    db.session.flush()
    for person in people:
        reindex_names(person)
    db.session.commit()


def _statements_for_one_search(organisation_id: int) -> tuple[int, int]:
    db.session.expire_all()
    with counted_statements() as statements:
        rows, total = list_cases(organisation_id, CaseFilters(name="Aliaksandr"))
        labels = [b.display_label for b in rows]  # what the list page shows of each row
    assert len(labels) == len(rows)
    return len(statements), total


def test_search_issues_the_same_statements_for_10_and_300_people(organisation):
    _add_namesakes(organisation.id, 0, 10)
    small, total_small = _statements_for_one_search(organisation.id)
    _add_namesakes(organisation.id, 10, 290)
    large, total_large = _statements_for_one_search(organisation.id)
    assert (total_small, total_large) == (10, 300)
    assert small == large == 2  # the count and the page, nothing per person

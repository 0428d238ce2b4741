"""GET never writes: every GET route of the url_map, with real ids of a small published
appeal and its case, asked by an anonymous reader and by each role, runs no INSERT, UPDATE or
DELETE and flushes nothing.

The one exception is explicit (AUDITED_READS): pages that show a beneficiary's personal data
record that look in the audit log, as the threat model requires, through
`unit_of_work.audited_read`, and may then write audit events and nothing else."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ngo.campaigns import concerns, cover
from ngo.cases import stories
from ngo.cases.models import EvidenceItem
from ngo.donations import disbursements, manual, plans
from ngo.donations.bank_accounts import BankAccountDetails, add_bank_account
from ngo.donations.confirmation import confirm_donation
from ngo.donations.disbursements import NewDisbursement, Proof
from ngo.donations.models import RecurringPlan
from ngo.extensions import db
from ngo.money import Money
from ngo.reports import appeal_reports
from ngo.reports.funders import schedule as funder_schedule
from ngo.reports.funders import services as funders
from ngo.reports.receipts import links
from ngo.reports.receipts.models import Receipt
from tests import factories
from tests.campaigns.appeal_fixtures import (
    alexander,
    draft_appeal,
    jpeg,
    publish,
    publish_update,
    sample_documents_once,
    staff,
)
from tests.campaigns.conftest import consent_to_photo
from tests.conftest import login

__all__ = ["alexander", "sample_documents_once", "staff"]  # fixtures used by name

# Endpoints that show personal data of a beneficiary (or a reader's concern report) and record
# each showing in the audit log, on GET too: the only reads allowed to write, and only
# audit events. The staff appeal page records one only when the publication check shows the
# context of a finding, which this appeal has none of.
AUDITED_READS = frozenset(
    {
        # The dashboard names the cases of its lists (caseworker's and verifier's work).
        "dashboard.home",
        "cases.case_list",
        "cases.profile",
        "cases.household",
        "cases.notes",
        "cases.tasks",
        "cases.history",
        "cases.consent",
        "cases.evidence",
        "cases.download_evidence",
        "cases.story",
        "cases.story_version",
        "cases.story_diff",
        "appeals.appeal",
        # A new appeal's title is suggested from the person's verified story.
        "appeals.new_appeal",
        "appeals.cover_image",
        "appeals.update_photo",
        "concerns.queue",
        # A gift's page shows the treasurer's note, which may name people.
        "donations.gift",
        "disbursements.download_proof",
        # A receipt names its donor.
        "receipts.staff_download",
        # What donors' banks say about them (statement lines waiting for a treasurer).
        "donations_treasury.queue",
    }
)
QUERY_STRINGS = {"cases.story_diff": "?from=1&to=2", "appeals.appeal_list": "?case={reference}"}


@pytest.fixture
def site(organisation, staff, alexander, make_user):
    """A published appeal with a cover, a published update with a photo, a concern report,
    and a case with two story versions; staff of every role."""
    consent_to_photo(alexander, staff["caseworker"])
    appeal = draft_appeal(alexander, staff)
    image = cover.set_cover_photo(
        appeal, image_bytes=jpeg(), alt_text="A kitchen table", actor=staff["caseworker"]
    )
    db.session.commit()
    publish(appeal, staff)
    update = publish_update(
        appeal, staff["caseworker"], staff["admin"], image_bytes=jpeg(), alt_text="The new flat"
    )
    story = stories.story_of(alexander)
    stories.edit_story(
        story, title="A new start in Białystok", body="A second version.", actor=staff["admin"]
    )
    concerns.report_concern(appeal, kind="other", message="Is this real?")
    treasurer = make_user("treasurer")
    gift = manual.record_manual_gift(
        appeal,
        manual.GiftEntry(
            Money(2_000, appeal.currency), "cash", date.today(), note="From the Sunday meeting"
        ),
        actor=treasurer,
    )
    db.session.commit()
    assert appeal.listed
    people = {
        **staff,
        "treasurer": treasurer,
        "funder": make_user("funder"),
        "platform admin": make_user("caseworker", is_platform_admin=True),
    }
    payment = disbursements.record_disbursement(
        appeal,
        NewDisbursement(
            budget_line_id=appeal.budget_lines[0].id,
            amount_minor=10_000,
            paid_on=date.today(),
            payee_kind="supplier",
            payee_note="Landlord",
            public_description="Rent for March",
            proof=Proof(factories.sample_pdf(), "invoice.pdf"),
            override=True,
            override_reason="Paid before the gifts arrived",
        ),
        actor=people["treasurer"],
    )
    db.session.commit()
    evidence = db.session.scalars(
        select(EvidenceItem.id).where(EvidenceItem.beneficiary_id == alexander.id)
    ).first()
    account = add_bank_account(
        appeal_organisation(appeal),
        currency="EUR",
        iban="DE89370400440532013000",
        details=BankAccountDetails(account_holder="Hilfsverein e.V.", bic="COBADEFFXXX"),
        actor=staff["admin"],
    )
    # A pending bank-transfer gift and a monthly plan, for the donor's signed pages.
    gift = factories.DonationFactory(appeal=appeal, currency="EUR", reference_code="9357-T4VW")
    plan = RecurringPlan(
        organisation_id=appeal.organisation_id,
        appeal_id=appeal.id,
        amount_minor=2_000,
        currency=appeal.currency,
        provider="stripe",
        external_id="sub_reads",
    )
    db.session.add(plan)
    # A confirmed gift, whose receipt the (eager) worker issues at the commit.
    receipted = factories.DonationFactory(appeal=appeal, currency="EUR")
    confirm_donation(receipted)
    db.session.commit()
    receipt = db.session.scalars(select(Receipt).where(Receipt.donation_id == receipted.id)).one()
    # A funder with a grant to the appeal, the funder user as its contact, and one report.
    funder = funders.create_funder(
        appeal_organisation(appeal), funders.FunderDetails(name="Fund"), actor=staff["admin"]
    )
    grant = funders.create_grant(
        funder,
        funders.GrantDetails(
            title="Grant",
            amount=Money(100_000, "EUR"),
            starts_on=date(2026, 1, 1),
            ends_on=date(2030, 12, 31),
            appeal_ids=[appeal.id],
        ),
        actor=staff["admin"],
    )
    funders.link_member(funder, people["funder"].id, actor=staff["admin"])
    subscription = funders.create_subscription(
        funder,
        funders.SubscriptionDetails("monthly", "en", [funder.contacts[0].id]),
        actor=staff["admin"],
    )
    delivery = funder_schedule.send_now(subscription, actor=staff["admin"])
    # A signed accountability report (rendered by the eager worker at the commit).
    report = appeal_reports.request_appeal_report(appeal, actor=staff["caseworker"], language="en")
    db.session.commit()
    values = {
        "receipt_token": links.receipt_token(receipt),
        "receipt_id": receipt.public_id,
        "gift_token": plans.gift_token(gift),
        "plan_token": plans.cancel_token(plan),
        "account_id": account.id,
        "org_slug": appeal_organisation(appeal).slug,
        "user_id": staff["verifier"].id,
        "slug": appeal.slug,
        "reference": alexander.reference,
        "case_reference": alexander.reference,
        "item_id": evidence,
        "number": 1,
        "public_id": update.public_id,
        "token": image.token,
        "filename": "css/ngo.css",
        "gift_id": gift.public_id,
        "payment_id": payment.public_id,
        "funder_id": funder.id,
        "grant_id": grant.id,
        "subscription_id": subscription.id,
        "delivery_id": delivery.id,
        "report_id": report.id,
    }
    return people, values


def appeal_organisation(appeal):
    from ngo.accounts.models import Organisation

    return db.session.get(Organisation, appeal.organisation_id)


def _get_routes(app: Flask, values: dict[str, object]) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        path = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)
        assert path is not None, rule
        query = QUERY_STRINGS.get(rule.endpoint, "").format(**values)
        routes.append((rule.endpoint, path[1] + query))
    return sorted(routes)


# A write's verb and table; not FOR UPDATE (a lock) or ON CONFLICT DO UPDATE (an insert's).
_WRITE = re.compile(
    r"(?<!FOR )(?<!DO )\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO|MERGE\s+INTO)\s+(\w+)",
    re.IGNORECASE,
)


@contextmanager
def recorded_writes() -> Iterator[tuple[list[str], list[set[str]]]]:
    """Every INSERT, UPDATE or DELETE sent to the database, and what each flush wrote."""
    statements: list[str] = []
    flushes: list[set[str]] = []

    def on_statement(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        # Each write, also those inside a statement of deferred writes (WITH w0 AS (INSERT
        # ...), PostgreSQL), named as its first three words ("UPDATE chain_heads SET").
        for verb, table in _WRITE.findall(statement):
            verb = " ".join(verb.upper().split())
            statements.append(f"{verb} {table} SET" if verb == "UPDATE" else f"{verb} {table}")

    def on_flush(session: Session, _context: object) -> None:
        written = (*session.new, *session.dirty, *session.deleted)
        flushes.append({type(obj).__name__ for obj in written})

    event.listen(db.engine, "before_cursor_execute", on_statement)
    event.listen(Session, "after_flush", on_flush)
    try:
        yield statements, flushes
    finally:
        event.remove(db.engine, "before_cursor_execute", on_statement)
        event.remove(Session, "after_flush", on_flush)


def test_no_get_route_writes_but_the_audited_personal_data_views(app, browser, site):
    people, values = site
    clients = {"anonymous": browser()}
    for name, user in people.items():
        clients[name] = browser()
        login(clients[name], user)
    routes = _get_routes(app, values)
    assert {endpoint for endpoint, _ in routes} >= AUDITED_READS

    wrong: list[str] = []
    answered: dict[str, set[int]] = {}
    for endpoint, url in routes:
        for who, client in clients.items():
            with recorded_writes() as (statements, flushes):
                status = client.get(url).status_code
            answered.setdefault(endpoint, set()).add(status)
            if endpoint in AUDITED_READS:
                # The event, and its log's head written with it (made on the log's first).
                event_writes = {
                    "INSERT INTO audit_events",
                    "UPDATE chain_heads SET",
                    "INSERT INTO chain_heads",
                }
                statements = [s for s in statements if s not in event_writes]
                flushes = [f for f in flushes if f != {"AuditEvent"}]
            if statements or flushes:
                wrong.append(f"{who} GET {url} ({status}): {statements or flushes}")
    assert not wrong, "\n".join(wrong)
    # The ids are real: every route did its work for someone, not only refused or redirected.
    not_run = {e: s for e, s in answered.items() if not any(code < 300 for code in s)}
    redirects_only = {
        "accounts.second_factor",  # without a password step, back to sign-in
        "accounts.enrol_second_factor",  # everyone here has a second factor already
        "accounts.legacy_invitation_link",
        "accounts.legacy_password_reset_link",
        "appeal_forms.legacy_confirm_link",
        "appeal_forms.legacy_unsubscribe_link",
    }
    assert set(not_run) == redirects_only, not_run


def test_the_enrolment_page_writes_nothing(app, browser, make_user):
    """The secret to scan was chosen by the sign-in's POST; showing it is a read."""
    user = make_user("caseworker", two_factor=False)
    client = browser()
    signed = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert signed.headers["Location"].endswith("/two-factor/setup")
    with recorded_writes() as (statements, flushes):
        page = client.get("/two-factor/setup")
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in page.get_data(as_text=True)
    assert not statements and not flushes

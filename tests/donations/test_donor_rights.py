"""A donor's export and erasure: found by e-mail through the blind index; erasure removes the
person and keeps their gifts, so the ledger still verifies."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from ngo.audit import AuditEvent
from ngo.campaigns.visibility import public_version
from ngo.donations import ledger
from ngo.donations.errors import DonorRightsError
from ngo.donations.models import Donation, Donor, RecurringPlan
from ngo.donations.rights import erase_donor, export_donor, find_donor
from ngo.extensions import db
from tests import factories
from tests.conftest import login


@pytest.fixture
def donor(appeal, give):
    person = factories.DonorFactory(
        organisation_id=appeal.organisation_id, name="Jan Kowalski", email="jan@example.org"
    )
    give(5_000, donor=person, display_name="Jan from Kraków", message="Good luck, Alexander!")
    give(2_500, donor=person)
    return person


def test_the_donor_is_found_by_e_mail_in_their_organisation_only(donor, appeal):
    assert find_donor(appeal.organisation_id, " JAN@example.org") == donor
    assert find_donor(appeal.organisation_id, "someone@example.org") is None
    assert find_donor(appeal.organisation_id, "") is None
    assert find_donor(factories.OrganisationFactory().id, "jan@example.org") is None


def test_the_export_holds_everything_about_the_donor(donor, staff):
    payload = json.loads(export_donor(donor, actor=staff["admin"]))
    assert payload["format"] == "ngo-donor-export/1"
    assert payload["donor"]["name"] == "Jan Kowalski"
    assert payload["donor"]["email"] == "jan@example.org"
    assert [d["amount_minor"] for d in payload["donations"]] == [5_000, 2_500]
    assert payload["donations"][0]["message"] == "Good luck, Alexander!"
    assert payload["donations"][0]["display_name"] == "Jan from Kraków"
    assert payload["donations"][0]["receipt_code"]
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "donor.exported")
    ).one()
    assert event.details == {"donations": 2}
    assert "jan" not in json.dumps(event.details).lower()


def test_erasure_removes_the_person_and_keeps_the_gifts(donor, staff, appeal):
    before = public_version()[0]
    assert erase_donor(donor, actor=staff["admin"])
    db.session.expire_all()
    stored = db.session.get(Donor, donor.id)
    assert (stored.name, stored.email, stored.email_index) == (None, None, None)
    assert stored.erased_at is not None
    gifts = db.session.scalars(
        select(Donation).where(Donation.donor_id == donor.id).order_by(Donation.id)
    ).all()
    assert [g.amount_minor for g in gifts] == [5_000, 2_500]
    assert all(g.display_name is None and g.message is None for g in gifts)
    assert all(g.status == "confirmed" and g.receipt_code_hash for g in gifts)
    report = ledger.verify()
    assert report.ok, report.counter_differences
    assert find_donor(appeal.organisation_id, "jan@example.org") is None
    # The public pages showed one of the chosen names: every cached page is stale now.
    assert public_version()[0] > before
    assert not erase_donor(stored, actor=staff["admin"])
    erased = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "donor.erased"))
    assert len(erased.all()) == 1


def test_a_donor_with_a_running_monthly_gift_is_not_erased(donor, appeal, staff):
    db.session.add(
        RecurringPlan(
            organisation_id=appeal.organisation_id,
            appeal_id=appeal.id,
            donor_id=donor.id,
            amount_minor=1_000,
            currency="EUR",
            provider="stripe",
        )
    )
    db.session.flush()
    with pytest.raises(DonorRightsError, match="monthly"):
        erase_donor(donor, actor=staff["admin"])
    assert db.session.get(Donor, donor.id).name == "Jan Kowalski"


# The admin's page and the command line --------------------------------------------------


def test_an_admin_finds_exports_and_erases_a_donor(client, donor, admin):
    db.session.commit()
    login(client, admin)
    assert client.get("/admin/donors/").status_code == 200
    assert client.post("/admin/donors/", data={"email": ""}).status_code == 400
    found = client.post("/admin/donors/", data={"email": "jan@example.org"})
    assert found.status_code == 200
    assert f"Donor #{donor.id}" in found.get_data(as_text=True)
    assert "Jan Kowalski" not in found.get_data(as_text=True)

    exported = client.post(f"/admin/donors/{donor.id}/export")
    assert exported.status_code == 200
    assert exported.headers["Cache-Control"] == "no-store"
    assert "jan" not in exported.headers["Content-Disposition"]
    assert json.loads(exported.get_data())["donor"]["email"] == "jan@example.org"

    wrong = client.post(f"/admin/donors/{donor.id}/erase", data={"confirmation": "x@y.org"})
    assert wrong.status_code == 400
    assert "Nothing was erased" in wrong.get_data(as_text=True)
    assert client.post(f"/admin/donors/{donor.id}/erase", data={}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Donor, donor.id).erased_at is None

    erased = client.post(
        f"/admin/donors/{donor.id}/erase", data={"confirmation": " Jan@Example.org "}
    )
    assert erased.status_code == 302
    db.session.expire_all()
    assert db.session.get(Donor, donor.id).erased_at is not None
    assert ledger.verify().ok


def test_the_cli_exports_and_erases(app, donor, organisation, tmp_path):
    db.session.commit()
    runner = app.test_cli_runner()
    out = tmp_path / "donor.json"
    result = runner.invoke(
        args=[
            "donations",
            "export-donor",
            "jan@example.org",
            "--org",
            organisation.name,
            "--output",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["donor"]["name"] == "Jan Kowalski"
    assert oct(out.stat().st_mode & 0o777) == "0o600"

    missing = runner.invoke(
        args=["donations", "erase-donor", "nobody@example.org", "--org", organisation.name, "--yes"]
    )
    assert missing.exit_code == 1
    assert "nobody@example.org" not in missing.output
    no_org = runner.invoke(args=["donations", "erase-donor", "jan@example.org", "--org", "Nope"])
    assert no_org.exit_code == 2

    result = runner.invoke(
        args=["donations", "erase-donor", "jan@example.org", "--org", organisation.name, "--yes"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Donor, donor.id).erased_at is not None
    assert ledger.verify().ok

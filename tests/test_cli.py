from __future__ import annotations

from sqlalchemy import func, select

from ngo.accounts.cli import create_admin_command
from ngo.accounts.models import Organisation, User
from ngo.demo.cli import seed_demo_command
from ngo.extensions import db


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_admin_reads_the_password_from_stdin(app):
    result = app.test_cli_runner().invoke(
        create_admin_command,
        ["Chief@Example.org", "--org", "Dapamoga", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User)).one()
    assert user.email == "chief@example.org"
    assert user.is_platform_admin
    assert user.memberships[0].role == "admin"
    assert user.memberships[0].organisation.name == "Dapamoga"
    assert "a long enough password" not in result.output


def test_create_admin_rejects_bad_input_and_leaves_nothing_behind(app):
    runner = app.test_cli_runner()
    bad_email = runner.invoke(
        create_admin_command, ["not-an-email", "--org", "X", "--password-stdin"], input="x" * 20
    )
    assert bad_email.exit_code != 0
    assert "Not a valid e-mail address" in bad_email.output
    short = runner.invoke(
        create_admin_command,
        ["a@example.org", "--org", "New org", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code != 0
    assert "at least 12 characters" in short.output
    empty = runner.invoke(
        create_admin_command, ["a@example.org", "--org", "New org", "--password-stdin"], input="\n"
    )
    assert empty.exit_code != 0
    assert "No password" in empty.output
    assert _count(User) == 0
    assert _count(Organisation) == 0  # the organisation was not half-created


def test_create_admin_refuses_an_existing_address(app, make_user):
    user = make_user("caseworker")
    result = app.test_cli_runner().invoke(
        create_admin_command, [user.email, "--org", "Other", "--password-stdin"], input="y" * 20
    )
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_seed_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(seed_demo_command, ["--if-empty"])
    assert first.exit_code == 0, first.output
    users = _count(User)
    assert users == 5
    assert "admin@demo.ngo.example" in first.output
    second = runner.invoke(seed_demo_command, ["--if-empty"])
    assert "already has data" in second.output
    third = runner.invoke(seed_demo_command)
    assert third.exit_code == 0
    assert _count(User) == users
    assert _count(Organisation) == 1


def test_demo_users_sign_in_without_2fa_only_in_development(app, client):
    app.config["NGO_ENV"] = "development"
    app.test_cli_runner().invoke(seed_demo_command)
    for role in ("admin", "caseworker", "verifier", "treasurer", "funder"):
        response = client.post(
            "/login",
            data={"email": f"{role}@demo.ngo.example", "password": f"{role}-demo-password"},
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/dashboard"
        assert client.get("/dashboard").status_code == 200
        client.post("/logout")
    app.config["NGO_ENV"] = "testing"
    response = client.post(
        "/login", data={"email": "admin@demo.ngo.example", "password": "admin-demo-password"}
    )
    assert response.headers["Location"].endswith("/two-factor/setup")


def test_reconcile_listings_lists_published_appeals_from_before_the_flag(app):
    from sqlalchemy import update

    from ngo.campaigns.models import Appeal
    from ngo.demo import seed_demo

    seed_demo()
    db.session.commit()
    db.session.execute(update(Appeal).values(listed=False))  # as after the upgrade
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["reconcile-listings"])
    assert result.exit_code == 0, result.output
    assert "Checked" in result.output
    db.session.expire_all()
    assert any(a.listed for a in db.session.scalars(select(Appeal)))


def test_every_demo_gift_has_its_confirmation_in_the_audit_log(app):
    from ngo.audit import AuditEvent
    from ngo.demo import seed_demo
    from ngo.donations.models import Donation, DonationStatus, PaymentMethod

    seed_demo()
    db.session.commit()
    confirmed = db.session.scalars(
        select(Donation).where(Donation.status == DonationStatus.CONFIRMED.value)
    ).all()
    events = {
        event.object_id: event
        for event in db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "donation",
                AuditEvent.action.in_(["donation.confirmed", "donation.matched"]),
            )
        )
    }
    assert confirmed and {str(gift.id) for gift in confirmed} <= set(events)
    online = [g for g in confirmed if g.method in (PaymentMethod.CARD, PaymentMethod.BLIK)]
    assert online
    for gift in online:
        assert events[str(gift.id)].details == {"via": "stripe", "method": gift.method}

"""The demo funder of `make run`: a grant to the seed appeal, a monthly subscription, and the
demo funder login as its contact, who reaches the portal (two factors outside development)."""

from __future__ import annotations

from sqlalchemy import select

from ngo.campaigns.models import Appeal
from ngo.demo import seed_demo
from ngo.demo.funders import DEMO_FUNDER
from ngo.extensions import db
from ngo.reports.funders.models import Funder, PortfolioDelivery, ReportSubscription
from tests.conftest import sent_mail


def test_the_demo_funder_has_a_grant_a_subscription_and_a_login(app, client):
    app.config["NGO_ENV"] = "development"
    seed_demo()
    seed_demo()  # idempotent
    db.session.commit()
    (funder,) = db.session.scalars(select(Funder)).all()
    assert funder.name == DEMO_FUNDER
    seed = db.session.scalars(select(Appeal).order_by(Appeal.id)).first()
    (grant,) = funder.grants
    assert [a.id for a in grant.appeals] == [seed.id]
    (subscription,) = db.session.scalars(select(ReportSubscription)).all()
    assert subscription.frequency == "monthly" and subscription.active
    assert [c.user.email for c in subscription.recipients] == ["funder@demo.ngo.example"]

    client.post(
        "/login", data={"email": "funder@demo.ngo.example", "password": "funder-demo-password"}
    )
    page = client.get("/funder").get_data(as_text=True)
    assert DEMO_FUNDER in page
    assert "Emergency relocation of families (demo)" in page
    assert seed.translations[0].title in page
    # Last month's report, made by the (eager) worker after the seed's commit, and mailed.
    (delivery,) = db.session.scalars(select(PortfolioDelivery)).all()
    assert delivery.scheduled_start is not None and delivery.report is not None
    assert f"/funder/reports/{delivery.id}.pdf" in page
    assert client.get(f"/funder/reports/{delivery.id}.pdf").data.startswith(b"%PDF")
    assert "funder@demo.ngo.example" in [m["To"] for m in sent_mail(app)]

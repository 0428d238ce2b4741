"""Updates on a published appeal: the safety check, photos, withdrawal, e-mails to followers,
which appeals owe an update, and the staff pages. Their review by a second person is in
test_update_review.py."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from ngo import outbox
from ngo.audit import AuditEvent
from ngo.campaigns import services, subscriptions, updates
from ngo.campaigns.models import (
    AppealUpdate,
    PublicImage,
    UpdateDelivery,
)
from ngo.campaigns.notifications import UPDATE_EMAIL, send_update_emails
from ngo.campaigns.services import AppealError
from ngo.campaigns.updates import SafetyCheckError
from ngo.extensions import db
from ngo.outbox import OutboxMessage
from ngo.timeutil import utcnow
from tests import image_bombs
from tests.campaigns import appeal_fixtures
from tests.campaigns.appeal_fixtures import (
    POLISH_TITLE,
    PRIVATE_VALUES,
    draft_appeal,
    gps_exif,
    jpeg,
    publish,
    publish_update,
)
from tests.conftest import login, mail_text, readable_mail, sent_mail
from tests.helpers import counted_statements, page_text

no_decoding = image_bombs.no_decoding
BOMB = image_bombs.bomb_png()  # 9400x9400 pixels in 11 KB
JPEG_BOMB = image_bombs.bomb_jpeg()
NEWS_TITLE = "The family has moved into the flat"
NEWS_BODY = "Thanks to you the rent for three months is paid. The children start school soon."

# Fixtures shared with the other tests of published appeals.
alexander, other_organisation_appeal, published, sample_documents_once, staff = (
    appeal_fixtures.alexander,
    appeal_fixtures.other_organisation_appeal,
    appeal_fixtures.published,
    appeal_fixtures.sample_documents_once,
    appeal_fixtures.staff,
)


def post(appeal, actor, **overrides):
    """A draft update (the checks run when it is saved)."""
    values = {"language": "en", "title": NEWS_TITLE, "body_markdown": NEWS_BODY}
    values.update(overrides)
    return updates.draft_update(appeal, actor=actor, **values)


def publish_news(appeal, staff, **overrides):
    """Drafted by the caseworker, approved by the admin."""
    values = {"title": NEWS_TITLE, "body_markdown": NEWS_BODY}
    values.update(overrides)
    return publish_update(appeal, staff["caseworker"], staff["admin"], **values)


def follower(appeal, address, language="en", confirmed=True):
    subscription = subscriptions.subscribe(appeal, address, language)
    db.session.commit()
    if confirmed:
        subscriptions.confirm_subscription(subscription.token)
        db.session.commit()
    return subscription


def update_mails(app):
    return [m for m in sent_mail(app) if NEWS_TITLE in str(m["Subject"])]


# Posting ----------------------------------------------------------------------------------


def test_an_update_is_stored_dated_and_audited_without_its_text(published, staff):
    update = publish_news(published, staff)
    db.session.commit()
    assert published.last_update_at == update.posted_at
    assert published.listed  # the update passed the same check the listing asks
    assert update.public_id and update.image is None
    drafted, approved = (
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).one()
        for action in ("appeal.update_drafted", "appeal.update_published")
    )
    assert drafted.details == {"update": update.public_id, "language": "en", "photo": False}
    assert approved.details == {
        "update": update.public_id,
        "digest": update.approved_digest,
        "language": "en",
        "photo": False,
    }
    for event_ in (drafted, approved):
        assert NEWS_TITLE not in json.dumps(event_.details)


def test_only_a_published_appeal_takes_updates(alexander, staff):
    draft = draft_appeal(alexander, staff)
    with pytest.raises(AppealError, match="published"):
        post(draft, staff["caseworker"])


BAD_INPUT = [
    ({"title": "   "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"body_markdown": "x" * 20_001}, "body_markdown"),
    ({"language": "de"}, "language"),
    ({"image_bytes": jpeg(), "alt_text": " "}, "alt_text"),
    ({"image_bytes": b"GIF89a not a photo", "alt_text": "A flat"}, "photo"),
    ({"image_bytes": jpeg() + b"\0" * (10 * 1024 * 1024), "alt_text": "A flat"}, "photo"),
]


def test_bad_input_is_refused_on_its_field(published, staff):
    for overrides, field in BAD_INPUT:
        with pytest.raises(AppealError) as info:
            post(published, staff["caseworker"], **overrides)
        assert info.value.field == field, overrides.keys()
    with pytest.raises(AppealError, match="larger than 10 MB"):
        post(published, staff["caseworker"], **BAD_INPUT[-1][0])
    assert db.session.scalar(select(func.count(AppealUpdate.id))) == 0


def test_private_information_refuses_the_update_without_repeating_it(published, staff):
    leaks = {
        "body_markdown": "Mr Kavaliou thanks everyone who helped.",
        "title": "Call Alexander on +48 600 100 200",
        "alt_text": "Kavaliou at home",
    }
    for field, text in leaks.items():
        extra = {"image_bytes": jpeg()} if field == "alt_text" else {}
        with pytest.raises(SafetyCheckError) as info:
            post(published, staff["caseworker"], **{field: text}, **extra)
        message = str(info.value)
        assert "Private information" in message
        assert not any(value in message for value in PRIVATE_VALUES)
        assert not any(value in repr(info.value.findings) for value in PRIVATE_VALUES)
        assert [f.field for f in info.value.findings] == [field]
        assert "[[" in info.value.findings[0].context  # for the staff page, marked
        db.session.rollback()
    assert db.session.scalar(select(func.count(AppealUpdate.id))) == 0
    assert db.session.scalar(select(func.count(PublicImage.id))) == 0


def test_a_photo_with_a_gps_position_is_refused(published, staff):
    with pytest.raises(SafetyCheckError, match="hidden data") as info:
        post(published, staff["caseworker"], image_bytes=jpeg(gps_exif()), alt_text="A flat")
    assert info.value.field == "photo"
    assert "GPS" in info.value.findings[0].context
    db.session.rollback()
    assert db.session.scalar(select(func.count(PublicImage.id))) == 0


def test_a_leak_and_a_gps_photo_are_reported_together(published, staff):
    with pytest.raises(SafetyCheckError) as info:
        post(
            published,
            staff["caseworker"],
            body_markdown="Kavaliou is well.",
            image_bytes=jpeg(gps_exif()),
            alt_text="A flat",
        )
    assert [f.field for f in info.value.findings] == ["body_markdown", "photo"]
    assert "Private information" in str(info.value) and "hidden data" in str(info.value)
    assert info.value.field == "body_markdown"


def test_a_clean_photo_is_kept_re_encoded(published, staff):
    update = publish_news(published, staff, image_bytes=jpeg(size=(64, 48)), alt_text="A  new flat")
    db.session.commit()
    image = update.image
    assert (image.purpose, image.width, image.height) == ("update", 64, 48)
    assert image.alt_text == "A new flat"
    assert image.content_type == "image/jpeg"
    with Image.open(io.BytesIO(image.content)) as decoded:
        assert not decoded.getexif()
        assert "exif" not in decoded.info


# Withdrawal -------------------------------------------------------------------------------


def test_withdrawal_recomputes_the_last_update_and_deletes_the_photo(published, staff):
    first = publish_news(published, staff, title="First news")
    first.posted_at = utcnow() - timedelta(days=3)
    published.last_update_at = first.posted_at
    db.session.commit()
    draft = post(published, staff["caseworker"], title="Not public")
    with pytest.raises(AppealError, match="Only a published update"):
        updates.withdraw_update(draft, staff["caseworker"])
    second = publish_news(published, staff, image_bytes=jpeg(), alt_text="A flat")
    db.session.commit()
    assert published.last_update_at == second.posted_at

    updates.withdraw_update(second, staff["caseworker"])
    db.session.commit()
    assert second.withdrawn_at is not None
    assert second.image_id is None
    assert db.session.scalar(select(func.count(PublicImage.id))) == 0
    assert updates.display_state(second) == "withdrawn"
    assert published.last_update_at == first.posted_at
    with pytest.raises(AppealError, match="already withdrawn"):
        updates.withdraw_update(second, staff["caseworker"])

    updates.withdraw_update(first, staff["caseworker"])
    db.session.commit()
    assert published.last_update_at is None


# E-mails to followers ---------------------------------------------------------------------


def test_each_confirmed_follower_gets_the_update_once_in_their_language(app, published, staff):
    reader = follower(published, "reader@example.org")
    follower(published, "czytelnik@example.org", language="pl")
    follower(published, "pending@example.org", confirmed=False)
    gone = follower(published, "gone@example.org")
    subscriptions.unsubscribe(gone.token)
    db.session.commit()

    update = publish_news(published, staff)
    db.session.commit()  # the worker runs at once in tests (eager Celery)

    mails = {m["To"]: m for m in update_mails(app)}
    assert set(mails) == {"reader@example.org", "czytelnik@example.org"}
    english, polish = (
        mail_text(mails["reader@example.org"]),
        mail_text(mails["czytelnik@example.org"]),
    )
    assert NEWS_BODY in english and NEWS_BODY in polish
    assert POLISH_TITLE in polish and POLISH_TITLE not in english
    assert f"http://ngo.test/appeals/{published.slug}" in english
    # The body's link has the token after "#", out of every log; only the one-click address
    # that mail programs POST to (RFC 8058) needs it in the path.
    assert f"http://ngo.test/follow/unsubscribe#{reader.token}" in english
    one_click_url = f"http://ngo.test/follow/{reader.token}/unsubscribe"
    assert one_click_url not in english
    outbox_folder = Path(str(app.config["MAIL_URL"]).removeprefix("file://"))
    raw = b"".join(f.read_bytes() for f in outbox_folder.glob("*.eml"))
    assert f"List-Unsubscribe: <{one_click_url}>".encode() in raw
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    for message in mails.values():
        assert not any(value in readable_mail(message) for value in PRIVATE_VALUES)

    # Running the task again (a retry, the relay) sends nothing more.
    message_id = db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.kind == UPDATE_EMAIL)
    ).one()
    assert outbox.deliver(message_id) is False
    send_update_emails({"update_id": update.id})
    assert len(update_mails(app)) == 2
    assert db.session.scalar(select(func.count(UpdateDelivery.id))) == 2


def test_a_follower_confirmed_after_a_failed_run_gets_only_what_is_missing(app, published, staff):
    follower(published, "first@example.org")
    update = publish_news(published, staff)
    db.session.commit()
    follower(published, "second@example.org")
    send_update_emails({"update_id": update.id})
    assert sorted(m["To"] for m in update_mails(app)) == [
        "first@example.org",
        "second@example.org",
    ]


def test_a_withdrawn_update_is_not_mailed(app, published, staff):
    follower(published, "reader@example.org")
    update = publish_news(published, staff)
    updates.withdraw_update(update, staff["caseworker"])
    db.session.commit()
    assert update_mails(app) == []


# Overdue appeals --------------------------------------------------------------------------


def test_overdue_lists_silent_appeals_oldest_first_in_constant_queries(
    published, staff, alexander, other_organisation_appeal
):
    now = utcnow()
    assert updates.overdue_appeals(published.organisation_id, now) == []

    second = publish(draft_appeal(alexander, staff), staff)
    published.published_at = now - timedelta(days=75)  # never updated: 15 days late
    second.published_at = now - timedelta(days=200)
    second.last_update_at = now - timedelta(days=30, hours=12)  # interval 30: 1 day late
    second.update_interval_days = 30
    other_organisation_appeal.published_at = now - timedelta(days=400)
    db.session.commit()
    organisation_id, ids = published.organisation_id, (published.id, second.id)

    with counted_statements() as statements:
        overdue = updates.overdue_appeals(organisation_id, now)
    assert len(statements) == 2, statements  # appeals, then their titles
    assert [(o.appeal.id, o.days_overdue) for o in overdue] == [(ids[0], 15), (ids[1], 1)]

    post(published, staff["caseworker"])  # a draft is no news yet
    db.session.commit()
    assert [o.appeal.id for o in updates.overdue_appeals(published.organisation_id)] == list(ids)
    publish_news(published, staff)
    db.session.commit()
    assert [o.appeal.id for o in updates.overdue_appeals(published.organisation_id)] == [second.id]


def test_an_appeal_off_the_public_site_owes_no_update(published, staff):
    published.published_at = utcnow() - timedelta(days=300)
    services.return_to_draft(published, actor=staff["admin"])
    db.session.commit()
    assert not published.listed
    assert updates.overdue_appeals(published.organisation_id) == []


# Staff pages ------------------------------------------------------------------------------


def test_staff_post_an_update_with_a_photo_and_withdraw_it(client, browser, published, staff):
    login(client, staff["caseworker"])
    response = client.post(
        f"/staff/appeals/{published.slug}/updates",
        data={
            "update-language": "en",
            "update-title": NEWS_TITLE,
            "update-body_markdown": NEWS_BODY,
            "update-photo": (io.BytesIO(jpeg()), "flat.jpg"),
            "update-alt_text": "The living room of the new flat",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, page_text(response)[:2000]
    update = db.session.scalars(select(AppealUpdate)).one()
    assert response.headers["Location"].endswith(f"/updates/{update.public_id}")
    assert update.image is not None and update.state == "draft"
    page = page_text(client.get(f"/staff/appeals/{published.slug}"))
    assert NEWS_TITLE in page and "Draft" in page and "Withdraw this update" not in page
    update_page = f"/staff/appeals/{published.slug}/updates/{update.public_id}"
    assert client.post(f"{update_page}/submit").status_code == 302

    admin = browser()
    login(admin, staff["admin"])
    review = page_text(admin.get(update_page))
    digest = re.search(r'name="digest"[^>]*value="([0-9a-f]{64})"', review).group(1)
    assert admin.post(f"{update_page}/approve", data={"digest": digest}).status_code == 302
    page = page_text(client.get(f"/staff/appeals/{published.slug}"))
    assert "Published" in page and "Withdraw this update" in page

    response = client.post(f"{update_page}/withdraw")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(AppealUpdate, update.id).withdrawn_at is not None
    assert "Withdrawn" in page_text(client.get(f"/staff/appeals/{published.slug}"))


def test_a_refused_update_shows_the_finding_marked_and_records_the_view(client, published, staff):
    login(client, staff["caseworker"])
    response = client.post(
        f"/staff/appeals/{published.slug}/updates",
        data={
            "update-language": "en",
            "update-title": NEWS_TITLE,
            "update-body_markdown": "Mr Kavaliou thanks you.",
        },
    )
    assert response.status_code == 400
    page = page_text(response)
    assert "Private information" in page
    assert "<mark>Kavaliou</mark>" in page
    assert db.session.scalar(select(func.count(AppealUpdate.id))) == 0
    parts = [
        e.details.get("part")
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "case.personal_data_viewed")
        )
    ]
    assert "appeal_update_check" in parts


def test_an_over_long_title_is_a_form_error_not_a_crash(client, published, staff):
    login(client, staff["caseworker"])
    response = client.post(
        f"/staff/appeals/{published.slug}/updates",
        data={"update-language": "en", "update-title": "x" * 500, "update-body_markdown": ""},
    )
    assert response.status_code == 400
    assert "at most 200 characters" in page_text(response)


def test_roles_without_the_action_cannot_post(browser, published, make_user):
    for role in ("verifier", "treasurer", "funder"):
        client = browser()
        login(client, make_user(role))
        response = client.post(
            f"/staff/appeals/{published.slug}/updates",
            data={"update-language": "en", "update-title": NEWS_TITLE},
        )
        assert response.status_code == 403, role
    assert db.session.scalar(select(func.count(AppealUpdate.id))) == 0


def test_another_organisations_appeal_is_not_found(client, staff, other_organisation_appeal):
    login(client, staff["caseworker"])
    response = client.post(
        f"/staff/appeals/{other_organisation_appeal.slug}/updates",
        data={"update-language": "en", "update-title": NEWS_TITLE},
    )
    assert response.status_code == 404


def test_the_dashboard_lists_overdue_appeals(client, published, staff):
    published.published_at = utcnow() - timedelta(days=70) + timedelta(minutes=5)
    db.session.commit()
    login(client, staff["caseworker"])
    page = page_text(client.get("/dashboard"))
    assert "Appeals whose update is overdue" in page
    assert f"/staff/appeals/{published.slug}#updates" in page
    assert "10 days overdue" in page


# Resource limits --------------------------------------------------------------------------


def test_a_pixel_bomb_photo_is_refused_before_the_safety_scan_decodes_it(
    published, staff, no_decoding
):
    with pytest.raises(AppealError) as refused:
        post(published, staff["caseworker"], image_bytes=BOMB, alt_text="The new flat")
    assert refused.value.field == "photo"
    assert "too many pixels" in str(refused.value.message)
    with pytest.raises(AppealError, match="too many pixels"):
        updates.photo_format(JPEG_BOMB)
    db.session.rollback()
    assert db.session.scalar(select(func.count(AppealUpdate.id))) == 0


def _post_photo(client, slug, data: bytes):
    return client.post(
        f"/staff/appeals/{slug}/updates",
        data={
            "update-language": "en",
            "update-title": NEWS_TITLE,
            "update-body_markdown": NEWS_BODY,
            "update-photo": (io.BytesIO(data), "flat.jpg"),
            "update-alt_text": "The living room of the new flat",
        },
        content_type="multipart/form-data",
    )


def test_only_who_may_post_an_update_can_send_a_photo_sized_body(browser, published, make_user):
    five_mb = b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024)
    allowed = browser()
    login(allowed, make_user("caseworker"))
    response = _post_photo(allowed, published.slug, five_mb)
    assert response.status_code == 400  # read, then refused by its content
    assert "This image is damaged and cannot be read." in page_text(response)
    for role in ("verifier", "treasurer", "funder"):
        refused = browser()
        login(refused, make_user(role))
        assert _post_photo(refused, published.slug, five_mb).status_code == 413, role
    assert db.session.scalar(select(func.count(AppealUpdate.id))) == 0

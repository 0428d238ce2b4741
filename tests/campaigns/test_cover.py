"""An appeal's cover photo: checked like any public photo, shown only with photo consent."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select, text

from ngo.audit import AuditEvent
from ngo.campaigns import cover, services
from ngo.campaigns.models import PublicImage
from ngo.campaigns.review import ContentChangedError
from ngo.campaigns.services import AppealError
from ngo.campaigns.updates import SafetyCheckError
from ngo.cases import consent
from ngo.cases.models import Consent
from ngo.extensions import db
from tests import image_bombs
from tests.campaigns import appeal_fixtures
from tests.campaigns.appeal_fixtures import gps_exif, jpeg
from tests.campaigns.conftest import consent_to_photo, publish
from tests.conftest import login
from tests.helpers import page_text

sample_documents_once = appeal_fixtures.sample_documents_once
no_decoding = image_bombs.no_decoding
BOMB = image_bombs.bomb_png()  # 9400x9400 pixels in 11 KB
FIVE_MB = b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024)


def _images() -> int:
    return db.session.scalar(select(func.count()).select_from(PublicImage))


def test_a_cover_needs_photo_consent_to_be_published(appeal, alexander, staff):
    cover.set_cover_photo(
        appeal, image_bytes=jpeg(), alt_text="A kitchen table", actor=staff["caseworker"]
    )
    db.session.commit()
    assert any("publish a photo" in p.message for p in services.publication_problems(appeal))
    consent_to_photo(alexander, staff["caseworker"])
    db.session.commit()
    assert services.publication_problems(appeal) == []


def test_the_public_page_shows_the_cover_until_photo_consent_is_withdrawn(
    client, appeal, alexander, staff
):
    consent_to_photo(alexander, staff["caseworker"])
    image = cover.set_cover_photo(
        appeal, image_bytes=jpeg(), alt_text="A kitchen table", actor=staff["caseworker"]
    )
    db.session.commit()
    publish(appeal, staff)
    page = client.get(f"/appeals/{appeal.slug}").get_data(as_text=True)
    assert f"/media/{image.token}" in page and 'property="og:image"' in page
    assert client.get(f"/media/{image.token}").mimetype == "image/jpeg"

    photo_consent = db.session.scalars(
        select(Consent).where(Consent.beneficiary_id == alexander.id, Consent.item == "photo")
    ).one()
    consent.withdraw_consent(photo_consent, actor=staff["caseworker"])
    db.session.commit()
    assert not appeal.listed
    assert client.get(f"/appeals/{appeal.slug}").status_code == 410
    assert client.get(f"/media/{image.token}").status_code == 404


def test_a_photo_with_gps_data_is_refused_and_nothing_is_stored(appeal, staff):
    with pytest.raises(SafetyCheckError) as refused:
        cover.set_cover_photo(
            appeal, image_bytes=jpeg(gps_exif()), alt_text="A street", actor=staff["caseworker"]
        )
    assert refused.value.field == "photo"
    db.session.rollback()
    assert _images() == 0


def test_a_description_naming_the_person_is_refused(appeal, staff):
    with pytest.raises(SafetyCheckError) as refused:
        cover.set_cover_photo(
            appeal, image_bytes=jpeg(), alt_text="Kavaliou at home", actor=staff["caseworker"]
        )
    assert refused.value.field == "alt_text"


def test_a_new_cover_replaces_the_old_and_removal_always_works(appeal, alexander, staff):
    consent_to_photo(alexander, staff["caseworker"])
    cover.set_cover_photo(appeal, image_bytes=jpeg(), alt_text="One", actor=staff["caseworker"])
    cover.set_cover_photo(appeal, image_bytes=jpeg(), alt_text="Two", actor=staff["caseworker"])
    db.session.commit()
    assert cover.cover_of(appeal).alt_text == "Two" and _images() == 1
    publish(appeal, staff)
    with pytest.raises(AppealError, match="withdraw it first"):
        cover.set_cover_photo(appeal, image_bytes=jpeg(), alt_text="x", actor=staff["admin"])
    cover.remove_cover_photo(appeal, actor=staff["admin"])
    db.session.commit()
    assert _images() == 0


def _upload(client, slug, data: bytes, alt: str = "A kitchen table"):
    return client.post(
        f"/staff/appeals/{slug}/cover",
        data={"cover-photo": (io.BytesIO(data), "photo.jpg"), "cover-alt_text": alt},
        content_type="multipart/form-data",
    )


def test_staff_upload_preview_and_refusals(client, appeal, staff):
    login(client, staff["caseworker"])
    assert _upload(client, appeal.slug, jpeg()).status_code == 302
    page = page_text(client.get(f"/staff/appeals/{appeal.slug}"))
    assert "A kitchen table" in page
    preview = client.get(f"/staff/appeals/{appeal.slug}/cover")
    assert preview.status_code == 200 and preview.mimetype == "image/jpeg"

    not_a_photo = _upload(client, appeal.slug, b"%PDF-1.4 not a photo")
    assert not_a_photo.status_code == 400
    assert "Only JPEG and PNG photos are accepted." in page_text(not_a_photo)
    no_description = _upload(client, appeal.slug, jpeg(), alt="")
    assert no_description.status_code == 400
    assert "Describe the photo" in page_text(no_description)
    assert _images() == 1


def test_the_staff_preview_is_an_audited_view(client, appeal, alexander, staff):
    cover.set_cover_photo(
        appeal, image_bytes=jpeg(), alt_text="A kitchen table", actor=staff["caseworker"]
    )
    db.session.commit()
    login(client, staff["verifier"])
    assert client.get(f"/staff/appeals/{appeal.slug}/cover").status_code == 200
    views = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.personal_data_viewed")
    ).all()
    assert [(e.actor_id, e.object_type, e.object_id, e.details) for e in views] == [
        (staff["verifier"].id, "case", str(alexander.id), {"part": "cover_photo"})
    ]


def test_a_verifier_may_not_upload(client, appeal, staff):
    login(client, staff["verifier"])
    assert _upload(client, appeal.slug, jpeg()).status_code == 403


def test_a_pixel_bomb_is_refused_before_anything_decodes_it(appeal, alexander, staff, no_decoding):
    consent_to_photo(alexander, staff["caseworker"])
    with pytest.raises(AppealError) as refused:
        cover.set_cover_photo(
            appeal, image_bytes=BOMB, alt_text="A kitchen table", actor=staff["caseworker"]
        )
    assert refused.value.field == "photo"
    assert "too many pixels: at most 40 megapixels" in str(refused.value.message)
    db.session.rollback()
    assert _images() == 0


def test_a_pixel_bomb_through_the_form_is_a_form_error(client, appeal, staff, no_decoding):
    login(client, staff["caseworker"])
    response = _upload(client, appeal.slug, BOMB)
    assert response.status_code == 400
    assert "This image has too many pixels" in page_text(response)
    assert _images() == 0


def test_only_who_may_edit_the_appeal_can_send_a_photo_sized_body(
    browser, appeal, staff, make_user
):
    allowed = browser()
    login(allowed, staff["caseworker"])
    response = _upload(allowed, appeal.slug, FIVE_MB)
    assert response.status_code == 400  # read, then refused by its content
    assert "This image is damaged and cannot be read." in page_text(response)
    for role in ("verifier", "treasurer"):
        refused = browser()
        login(refused, make_user(role))
        assert _upload(refused, appeal.slug, FIVE_MB).status_code == 413, role


def test_a_cover_is_sealed_until_the_appeal_is_approved(client, appeal, alexander, staff):
    consent_to_photo(alexander, staff["caseworker"])
    image = cover.set_cover_photo(
        appeal, image_bytes=jpeg(), alt_text="A kitchen table", actor=staff["caseworker"]
    )
    db.session.commit()
    clean = bytes(image.sealed_content)
    content, sealed = db.session.execute(
        text("SELECT content, sealed_content FROM public_images WHERE id = :id"), {"id": image.id}
    ).one()
    assert content is None and clean not in bytes(sealed) and b"JFIF" not in bytes(sealed)
    login(client, staff["verifier"])
    preview = client.get(f"/staff/appeals/{appeal.slug}/cover")
    assert preview.status_code == 200 and preview.get_data() == clean  # decrypted for staff
    assert client.get(f"/media/{image.token}").status_code == 404

    publish(appeal, staff)
    content, sealed = db.session.execute(
        text("SELECT content, sealed_content FROM public_images WHERE id = :id"), {"id": image.id}
    ).one()
    assert bytes(content) == clean and sealed is None
    assert client.get(f"/media/{image.token}").get_data() == clean


def test_a_cover_set_in_review_sends_the_appeal_back_and_shows_as_a_change(
    appeal, alexander, staff
):
    consent_to_photo(alexander, staff["caseworker"])
    seen = services.submit_for_review(appeal, actor=staff["caseworker"])
    cover.set_cover_photo(appeal, image_bytes=jpeg(), alt_text="A table", actor=staff["admin"])
    assert appeal.status == "draft"
    services.submit_for_review(appeal, actor=staff["caseworker"])
    with pytest.raises(ContentChangedError) as refused:
        services.approve_and_publish(appeal, approver=staff["verifier"], digest=seen)
    assert [(c.label, c.after) for c in refused.value.changes] == [("Photo added", "A table")]
    # Whoever set the photo changed the appeal: they may not approve it either.
    assert "You changed it" in services.approval_refusal(appeal, staff["admin"])

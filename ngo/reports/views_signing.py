"""The organisation's report signing key: the admin's page (what signs the reports, and the
upload of the organisation's own PKCS#12 from a certificate authority), and the public
download of the signing certificate, which a funder keeps to check the reports they receive.
A page that is read never generates a key: the first report does."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ngo import audit
from ngo.accounts.access import acting_membership, staff_required
from ngo.accounts.models import Organisation
from ngo.accounts.policy import Action
from ngo.accounts.slugs import SLUG_MAX
from ngo.extensions import db
from ngo.reports import signing
from ngo.reports.forms import MAX_PKCS12_BYTES, SigningKeyForm
from ngo.reports.models import SigningKey
from ngo.unit_of_work import attempt

bp = Blueprint("reports_admin", __name__)


def _key_of(organisation_id: int) -> SigningKey | None:
    return db.session.scalar(
        select(SigningKey).where(SigningKey.organisation_id == organisation_id)
    )


def _page(form: SigningKeyForm, status: int = 200) -> tuple[str, int]:
    organisation = acting_membership().organisation
    key = _key_of(organisation.id)
    return render_template(
        "reports/signing_key.html",
        organisation=organisation,
        key=key,
        certificate=signing.describe_certificate(key) if key else None,
        form=form,
    ), status


@bp.get("/admin/report-signing")
@staff_required(Action.EDIT_ORGANISATION)
def signing_key() -> tuple[str, int]:
    return _page(SigningKeyForm(formdata=None))


@bp.post("/admin/report-signing")
@staff_required(Action.EDIT_ORGANISATION)
def upload_signing_key() -> Response | tuple[str, int]:
    form = SigningKeyForm()
    organisation = acting_membership().organisation
    if form.validate():
        data = form.archive.data.read(MAX_PKCS12_BYTES + 1)
        if len(data) > MAX_PKCS12_BYTES:
            form.archive.errors = [_("That file is too large to be a PKCS#12 archive.")]
        elif attempt(
            form,
            lambda: _upload(organisation, data, form.password.data or ""),
            field="archive",
        ):
            flash(_("Reports are now signed with the uploaded key."), "success")
            return redirect(url_for("reports_admin.signing_key"), code=303)
    return _page(form, 400)


def _upload(organisation: Organisation, data: bytes, password: str) -> None:
    key = signing.upload_pkcs12(organisation, data, password)
    audit.record(
        "report.signing_key_uploaded",
        actor_id=current_user.id,
        organisation_id=organisation.id,
        object_type="report_signing_key",
        object_id=key.id,
        details={"fingerprint": key.fingerprint},
    )


@bp.get("/organisations/<org_slug>/report-signing-certificate.pem")
def public_certificate(org_slug: str) -> Response:
    """The certificate the organisation's reports are signed with (public by nature)."""
    if len(org_slug) > SLUG_MAX:
        abort(404)
    organisation_id = db.session.scalar(
        select(Organisation.id).where(Organisation.slug == org_slug)
    )
    key = _key_of(organisation_id) if organisation_id is not None else None
    if key is None:
        abort(404)
    response = Response(signing.certificate_pem(key), mimetype="application/x-pem-file")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{org_slug}-report-signing.pem"'
    )
    return response

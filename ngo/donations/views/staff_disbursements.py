"""Staff pages of disbursements: the appeals, one appeal's payments with the form to record
one, approval or rejection by a second person, withdrawal, and the proof's download (audited
like every evidence download).

A refused description shows what the safety check found in it, marked: it repeats the
person's private values, so showing it is recorded as a view of the case's personal data.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ngo.accounts.access import (
    acting_membership,
    allow_larger_body,
    find_in_organisation,
    load_in_organisation,
    staff_required,
)
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action, may, scope
from ngo.campaigns.forms import money_error_message
from ngo.campaigns.models import Appeal, AppealStatus, BudgetLine
from ngo.cases import evidence
from ngo.cases.models import Beneficiary
from ngo.cases.services import record_personal_data_view
from ngo.donations import disbursements
from ngo.donations.disbursements import NewDisbursement, Proof
from ngo.donations.forms_disbursements import PAYEE_KIND_LABELS, DisbursementForm
from ngo.donations.models import Disbursement, DisbursementStatus
from ngo.donations.public_text import PublicTextError
from ngo.extensions import db
from ngo.forms import given
from ngo.money import Money, MoneyError, format_money
from ngo.unit_of_work import Attempt, attempt, audited_read

bp = Blueprint("disbursements", __name__, url_prefix="/staff/disbursements")

UPLOAD_OVERHEAD = 64 * 1024
_MARKED = re.compile(r"\[\[(.+?)\]\]", re.DOTALL)


def _status_labels() -> dict[str, str]:
    return {
        DisbursementStatus.AWAITING_APPROVAL.value: _("Waiting for a second person"),
        DisbursementStatus.APPROVED.value: _("Approved and posted"),
        DisbursementStatus.REJECTED.value: _("Rejected"),
        DisbursementStatus.WITHDRAWN.value: _("Withdrawn"),
    }


@bp.url_value_preprocessor
def _raise_size_limit_for_proofs(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Before CSRF protection parses the form (see cases.views.evidence), and only for someone
    # who may record a payment on this very appeal.
    if endpoint == "disbursements.record" and values:
        appeal = find_in_organisation(Appeal, str(values.get("slug", "")))
        allow_larger_body(
            int(current_app.config["EVIDENCE_MAX_BYTES"]) + UPLOAD_OVERHEAD,
            Action.RECORD_DISBURSEMENT,
            appeal,
        )


def highlight(context: str) -> Markup:
    """A finding's context with its `[[match]]` markers as <mark>, everything else escaped."""
    parts: list[str] = []
    position = 0
    for match in _MARKED.finditer(context):
        parts.append(str(escape(context[position : match.start()])))
        parts.append(f"<mark>{escape(match.group(1))}</mark>")
        position = match.end()
    parts.append(str(escape(context[position:])))
    return Markup("".join(parts))  # noqa: S704  (every piece was escaped above)


def appeal_title(appeal: Appeal) -> str:
    for translation in appeal.translations:
        if translation.language == appeal.fallback_language:
            return translation.title
    return appeal.translations[0].title if appeal.translations else appeal.slug


def line_label(line: BudgetLine, language: str) -> str:
    labels = {label.language: label.label for label in line.labels}
    return labels.get(language) or next(iter(labels.values()), str(line.id))


def _line_choices(appeal: Appeal) -> list[tuple[str, str]]:
    return [
        (str(line.id), line_label(line, appeal.fallback_language))
        for line in sorted(appeal.budget_lines, key=lambda line: (line.priority, line.id))
    ]


# The list of appeals ------------------------------------------------------------------------


@bp.get("")
@staff_required(Action.RECORD_DISBURSEMENT)
def index() -> str:
    membership = acting_membership()
    appeals = db.session.scalars(
        scope(select(Appeal), membership, Appeal.organisation_id)
        .where(Appeal.status.in_([AppealStatus.PUBLISHED.value, AppealStatus.FUNDED.value]))
        .order_by(Appeal.id.desc())
    ).all()
    counts: Any = select(Disbursement.appeal_id, func.count())
    waiting: dict[int, int] = dict(
        db.session.execute(
            scope(counts, membership, Disbursement.organisation_id)
            .where(Disbursement.status == DisbursementStatus.AWAITING_APPROVAL.value)
            .group_by(Disbursement.appeal_id)
        ).all()
    )
    return render_template(
        "donations/disbursement_index.html",
        appeals=appeals,
        waiting=waiting,
        appeal_title=appeal_title,
    )


# One appeal's payments --------------------------------------------------------------------


def _render(
    appeal: Appeal,
    status: int = 200,
    *,
    form: DisbursementForm | None = None,
    findings: list[Any] | None = None,
    action_error: str | None = None,
) -> tuple[str, int]:
    membership = acting_membership()
    if form is None:
        form = DisbursementForm(formdata=None)
    form.budget_line.choices = _line_choices(appeal)
    lines = {line.id: line for line in appeal.budget_lines}
    return render_template(
        "donations/disbursements.html",
        appeal=appeal,
        title=appeal_title(appeal),
        lines=lines,
        line_label=lambda line: line_label(line, appeal.fallback_language),
        available=lambda line: disbursements.available_minor(line),
        items=disbursements.disbursements_of(appeal),
        form=form,
        findings=findings or [],
        highlight=highlight,
        confirm_form=ConfirmForm(),
        status_labels=_status_labels(),
        payee_labels={kind.value: str(label) for kind, label in PAYEE_KIND_LABELS.items()},
        threshold=Money(disbursements.approval_threshold_minor(), appeal.currency),
        approval_refusal=lambda item: disbursements.approval_refusal(item, current_user),
        may_record=may(membership, Action.RECORD_DISBURSEMENT, appeal),
        may_approve=may(membership, Action.APPROVE_DISBURSEMENT, appeal),
        money=lambda minor: format_money(Money(minor, appeal.currency)),
        action_error=action_error,
    ), status


@bp.get("/<slug>")
@staff_required(Action.RECORD_DISBURSEMENT)
def appeal_disbursements(slug: str) -> tuple[str, int]:
    return _render(load_in_organisation(Appeal, slug, Action.RECORD_DISBURSEMENT))


def _amount(form: DisbursementForm, appeal: Appeal) -> int | None:
    try:
        return Money.parse(form.amount.data or "", appeal.currency).amount_minor
    except MoneyError as exc:
        form.amount.errors = [*form.amount.errors, money_error_message(exc.code)]
        return None


def _line_id(form: DisbursementForm) -> int | None:
    value = (form.budget_line.data or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


def _shown_findings(appeal: Appeal, refused: Attempt[Any]) -> list[Any]:
    if not isinstance(refused.refusal, PublicTextError):
        return []
    case = db.session.get(Beneficiary, appeal.beneficiary_id)
    if case is not None:
        with audited_read():
            record_personal_data_view(case, actor=current_user, part="disbursement_check")
    return refused.refusal.findings


@bp.post("/<slug>")
@staff_required(Action.RECORD_DISBURSEMENT)
def record(slug: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.RECORD_DISBURSEMENT)
    form = DisbursementForm()
    form.budget_line.choices = _line_choices(appeal)
    valid = form.validate_on_submit()
    amount = _amount(form, appeal)
    if not valid or amount is None:
        return _render(appeal, 400, form=form)
    upload = form.proof.data
    data = upload.read() if upload is not None and getattr(upload, "filename", None) else b""
    new = NewDisbursement(
        budget_line_id=_line_id(form),
        amount_minor=amount,
        paid_on=form.paid_on.data,
        payee_kind=form.payee_kind.data or "",
        payee_note=form.payee_note.data or "",
        public_description=given(form.public_description.data),
        proof=Proof(data, upload.filename or "") if data else None,
        override=bool(form.override.data),
        override_reason=form.override_reason.data or "",
    )
    recorded = attempt(
        form, lambda: disbursements.record_disbursement(appeal, new, actor=current_user)
    )
    if not recorded:
        return _render(appeal, 400, form=form, findings=_shown_findings(appeal, recorded))
    if recorded.value.status == DisbursementStatus.APPROVED.value:
        flash(_("The payment was recorded and posted to the ledger."), "success")
    else:
        flash(
            _("The payment was recorded. A second person has to approve it before it counts."),
            "success",
        )
    return redirect(url_for("disbursements.appeal_disbursements", slug=slug))


# Deciding ---------------------------------------------------------------------------------


def _load(slug: str, payment_id: str, action: Action) -> tuple[Appeal, Disbursement]:
    appeal = load_in_organisation(Appeal, slug, action)
    item = load_in_organisation(
        Disbursement,
        payment_id,
        action,
        Disbursement.appeal_id == appeal.id,
        by=Disbursement.public_id,
    )
    return appeal, item


def _decide(slug: str, payment_id: str, action: Action, call: Any, done: str) -> Any:
    appeal, item = _load(slug, payment_id, action)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    decided = attempt(None, lambda: call(item, actor=current_user))
    if not decided:
        return _render(appeal, 400, action_error=decided.message)
    flash(done, "success")
    return redirect(url_for("disbursements.appeal_disbursements", slug=slug))


@bp.post("/<slug>/<payment_id>/approve")
@staff_required(Action.APPROVE_DISBURSEMENT)
def approve(slug: str, payment_id: str) -> Any:
    return _decide(
        slug,
        payment_id,
        Action.APPROVE_DISBURSEMENT,
        disbursements.approve_disbursement,
        _("The payment was approved and posted to the ledger."),
    )


@bp.post("/<slug>/<payment_id>/reject")
@staff_required(Action.APPROVE_DISBURSEMENT)
def reject(slug: str, payment_id: str) -> Any:
    return _decide(
        slug,
        payment_id,
        Action.APPROVE_DISBURSEMENT,
        disbursements.reject_disbursement,
        _("The payment was rejected; nothing was posted."),
    )


@bp.post("/<slug>/<payment_id>/withdraw")
@staff_required(Action.RECORD_DISBURSEMENT)
def withdraw(slug: str, payment_id: str) -> Any:
    return _decide(
        slug,
        payment_id,
        Action.RECORD_DISBURSEMENT,
        disbursements.withdraw_disbursement,
        _("The payment was withdrawn; nothing was posted."),
    )


@bp.get("/<slug>/<payment_id>/proof")
@staff_required(Action.RECORD_DISBURSEMENT)
def download_proof(slug: str, payment_id: str) -> Response:
    _appeal, item = _load(slug, payment_id, Action.RECORD_DISBURSEMENT)
    proof = disbursements.proof_of(item)
    if proof is None or proof.destroyed_at is not None:
        abort(410)
    try:
        data = evidence.read_evidence_file(proof)
    except evidence.EvidenceFileMissing:
        abort(404)
    # The audit event is committed before a single byte leaves.
    with audited_read():
        evidence.record_download(proof, actor=current_user)
    response = Response(data, mimetype=proof.content_type or "application/octet-stream")
    extension = evidence.EXTENSIONS.get(proof.content_type or "", "bin")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="proof-{item.public_id}.{extension}"'
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

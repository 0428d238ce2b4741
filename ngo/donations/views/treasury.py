"""The treasurer's bank statements: the upload (what `flask donations import-statement`
does) and the reconciliation queue of lines the importer could not match."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs

from ngo.accounts.access import acting_membership, load_in_organisation, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action
from ngo.audit import record
from ngo.campaigns.models import Appeal, BudgetLine
from ngo.donations import reconciliation
from ngo.donations.forms_statements import AssignLineForm, StatementUploadForm
from ngo.donations.models import StatementImport, StatementLine, StatementMapping
from ngo.donations.statement_import import ImportResult, StatementImportError, import_statement
from ngo.donations.statements import StatementFormatError
from ngo.extensions import db
from ngo.unit_of_work import attempt, audited_read

bp = Blueprint("donations_treasury", __name__, url_prefix="/treasury")


def _upload_form() -> StatementUploadForm:
    organisation = acting_membership().organisation
    form = StatementUploadForm()
    names = db.session.scalars(
        select(StatementMapping.name)
        .where(StatementMapping.organisation_id == organisation.id)
        .order_by(StatementMapping.name)
    ).all()
    form.mapping.choices = [SelectChoice("", _("None")), *(SelectChoice(n, n) for n in names)]
    return form


def _upload_page(form: StatementUploadForm, status: int = 200) -> tuple[str, int]:
    organisation = acting_membership().organisation
    imports = db.session.scalars(
        select(StatementImport)
        .where(StatementImport.organisation_id == organisation.id)
        .order_by(StatementImport.id.desc())
        .limit(20)
    ).all()
    return render_template("donations/statements.html", form=form, imports=imports), status


@bp.get("/statements")
@staff_required(Action.IMPORT_STATEMENTS)
def statements() -> tuple[str, int]:
    return _upload_page(_upload_form())


@bp.post("/statements")
@staff_required(Action.IMPORT_STATEMENTS)
def upload_statement() -> Response | tuple[str, int]:
    form = _upload_form()
    if not form.validate_on_submit():
        return _upload_page(form, 400)
    upload = form.file.data
    name = (upload.filename or "statement").rsplit("/", 1)[-1][:120]

    def call() -> ImportResult:
        try:
            return import_statement(
                upload.read(),
                name,
                actor=current_user,
                organisation=acting_membership().organisation,
                format=form.format.data or None,
                mapping_name=form.mapping.data or None,
            )
        except StatementFormatError as exc:
            where = _("line %(number)s", number=exc.line_number) if exc.line_number else ""
            raise StatementImportError(
                _("%(file)s %(where)s: %(problem)s. Nothing was imported from it.")
                % {"file": name, "where": where, "problem": exc.message},
                field="file",
            ) from None

    done = attempt(form, call, field="file")
    if not done:
        return _upload_page(form, 400)
    result = done.value
    flash(
        _(
            "%(file)s: matched %(matched)s, queued %(queued)s, duplicate %(duplicate)s.",
            file=name,
            matched=result.matched,
            queued=result.queued,
            duplicate=result.duplicate,
        ),
        "success",
    )
    return redirect(url_for("donations_treasury.queue"))


def _targets() -> list[SelectChoice]:
    organisation = acting_membership().organisation
    appeals = db.session.scalars(
        select(Appeal).where(Appeal.organisation_id == organisation.id).order_by(Appeal.id)
    ).all()
    choices = [SelectChoice("", _("Choose an appeal"))]
    for appeal in appeals:
        texts = sorted(appeal.translations, key=lambda t: t.id)
        title = texts[0].title if texts else _("Appeal %(id)s", id=appeal.id)
        choices.append(
            SelectChoice(str(appeal.id), _("%(appeal)s (the whole appeal)", appeal=title))
        )
        for line in sorted(appeal.budget_lines, key=lambda b: b.id):
            labels = sorted(line.labels, key=lambda label: label.id)
            name = labels[0].label if labels else _("line %(id)s", id=line.id)
            choices.append(SelectChoice(f"{appeal.id}:{line.id}", f"{title}: {name}"))
    return choices


@bp.get("/reconciliation")
@staff_required(Action.RECONCILE_STATEMENTS)
def queue() -> str:
    membership = acting_membership()
    lines = reconciliation.queued_lines(membership.organisation)
    form = AssignLineForm()
    form.target.choices = _targets()
    # The lines show what donors' banks say about them: looking is recorded.
    with audited_read():
        record(
            "statement_queue.viewed",
            actor_id=current_user.id,
            organisation_id=membership.organisation.id,
            object_type="organisation",
            object_id=membership.organisation.id,
            details={"lines": len(lines)},
        )
    return render_template(
        "donations/reconciliation.html", lines=lines, form=form, confirm_form=ConfirmForm()
    )


@bp.post("/reconciliation/<int:line_id>/assign")
@staff_required(Action.RECONCILE_STATEMENTS)
def assign(line_id: int) -> Response:
    line = load_in_organisation(StatementLine, line_id, Action.RECONCILE_STATEMENTS)
    form = AssignLineForm()
    form.target.choices = _targets()
    if not form.validate_on_submit():
        flash(_("Choose an appeal or one of its budget lines."), "error")
        return redirect(url_for("donations_treasury.queue"))
    appeal_id, _sep, line_part = (form.target.data or "").partition(":")
    appeal = load_in_organisation(Appeal, int(appeal_id), Action.RECONCILE_STATEMENTS)
    budget_line = None
    if line_part:
        budget_line = db.session.get(BudgetLine, int(line_part))
        if budget_line is None or budget_line.appeal_id != appeal.id:
            abort(404)
    done = attempt(
        None, lambda: reconciliation.assign_line(line, appeal, current_user, budget_line)
    )
    if done:
        flash(_("The line is now a confirmed gift."), "success")
    else:
        flash(done.message, "error")
    return redirect(url_for("donations_treasury.queue"))


@bp.post("/reconciliation/<int:line_id>/unrelated")
@staff_required(Action.RECONCILE_STATEMENTS)
def unrelated(line_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    line = load_in_organisation(StatementLine, line_id, Action.RECONCILE_STATEMENTS)
    done = attempt(None, lambda: reconciliation.mark_unrelated(line, current_user))
    if done:
        flash(_("The line is marked as not a gift."), "success")
    else:
        flash(done.message, "error")
    return redirect(url_for("donations_treasury.queue"))

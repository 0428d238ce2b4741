"""/admin/funders: an admin's funders, their details and grants (contacts and subscriptions are
in views/admin_subscriptions.py). Every record is loaded in the acting organisation's scope."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ngo.accounts import policy
from ngo.accounts.access import acting_membership, load_in_organisation, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action
from ngo.campaigns.forms import money_error_message
from ngo.campaigns.models import Appeal
from ngo.campaigns.presentation import translation_for
from ngo.extensions import db
from ngo.forms import add_error, given
from ngo.money import Money, MoneyError, format_money
from ngo.reports.funders import services
from ngo.reports.funders.forms import FREQUENCY_LABELS, FunderForm, GrantForm
from ngo.reports.funders.models import Funder, Grant, PortfolioDelivery, ReportSubscription
from ngo.reports.funders.views import admin_bp
from ngo.unit_of_work import attempt


def load_funder(funder_id: int) -> Funder:
    return load_in_organisation(Funder, funder_id, Action.MANAGE_FUNDERS)


@admin_bp.get("")
@staff_required(Action.MANAGE_FUNDERS)
def funder_list() -> str:
    funders = db.session.scalars(
        policy.scope(
            select(Funder).order_by(Funder.name), acting_membership(), Funder.organisation_id
        )
    ).all()
    return render_template("reports/funders/admin_list.html", funders=funders)


def _details(form: FunderForm) -> services.FunderDetails:
    return services.FunderDetails(
        name=given(form.name.data),
        website=form.website.data or "",
        contact_person=form.contact_person.data or "",
        contact_email=form.contact_email.data or "",
        contact_phone=form.contact_phone.data or "",
        notes=form.notes.data or "",
    )


@admin_bp.route("/new", methods=["GET", "POST"])
@staff_required(Action.MANAGE_FUNDERS)
def new_funder() -> Response | tuple[str, int]:
    form = FunderForm()
    if form.validate_on_submit():
        created = attempt(
            form,
            lambda: services.create_funder(
                acting_membership().organisation, _details(form), actor=current_user
            ),
            field="name",
        )
        if created:
            flash(_("The funder was added."), "success")
            return redirect(url_for("funders_admin.funder", funder_id=created.value.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("reports/funders/admin_funder_form.html", form=form, funder=None), status


def funder_page(funder: Funder, form: FunderForm, status: int = 200) -> tuple[str, int]:
    subscriptions = db.session.scalars(
        select(ReportSubscription)
        .where(ReportSubscription.funder_id == funder.id)
        .order_by(ReportSubscription.id)
    ).all()
    deliveries = db.session.scalars(
        select(PortfolioDelivery)
        .where(PortfolioDelivery.funder_id == funder.id)
        .order_by(PortfolioDelivery.created_at.desc(), PortfolioDelivery.id.desc())
        .limit(24)
    ).all()
    return (
        render_template(
            "reports/funders/admin_funder.html",
            funder=funder,
            form=form,
            subscriptions=subscriptions,
            deliveries=deliveries,
            frequency_labels=FREQUENCY_LABELS,
            format_money=format_money,
            Money=Money,
            confirm_form=ConfirmForm(),
        ),
        status,
    )


@admin_bp.route("/<int:funder_id>", methods=["GET", "POST"])
@staff_required(Action.MANAGE_FUNDERS)
def funder(funder_id: int) -> Response | tuple[str, int]:
    record = load_funder(funder_id)
    form = FunderForm(obj=record)
    if form.validate_on_submit() and attempt(
        form, lambda: services.update_funder(record, _details(form), actor=current_user)
    ):
        flash(_("Saved."), "success")
        return redirect(url_for("funders_admin.funder", funder_id=funder_id))
    # After a refusal the session was rolled back: reload what is stored.
    record = load_funder(funder_id)
    return funder_page(record, form, 400 if form.errors or form.form_errors else 200)


# Grants -------------------------------------------------------------------------------------


def _appeal_choices(organisation_id: int) -> list[tuple[int, str]]:
    appeals = db.session.scalars(
        select(Appeal).where(Appeal.organisation_id == organisation_id).order_by(Appeal.id)
    ).all()
    choices = []
    for appeal in appeals:
        translation = translation_for(appeal, appeal.fallback_language)
        choices.append((appeal.id, translation.title if translation else appeal.slug))
    return choices


def _grant_form(funder: Funder, grant: Grant | None) -> GrantForm:
    form = GrantForm(obj=grant)
    form.appeals.choices = _appeal_choices(funder.organisation_id)
    if grant is not None and not form.is_submitted():
        form.amount.data = format_money(Money(grant.amount_minor, grant.currency))
        form.appeals.data = [a.id for a in grant.appeals]
        form.categories.data = [c.value for c in grant.category_list]
    return form


def _grant_details(form: GrantForm) -> services.GrantDetails | None:
    """The form's grant, or None with the amount's error at its field."""
    try:
        amount = Money.parse(given(form.amount.data), given(form.currency.data))
    except MoneyError as exc:
        add_error(form.amount, money_error_message(exc.code))
        return None
    return services.GrantDetails(
        title=given(form.title.data),
        amount=amount,
        starts_on=given(form.starts_on.data),
        ends_on=given(form.ends_on.data),
        appeal_ids=list(form.appeals.data or []),
        categories=list(form.categories.data or []),
    )


def _grant_page(funder: Funder, grant: Grant | None, form: GrantForm) -> tuple[str, int]:
    status = 400 if form.errors or form.form_errors else 200
    return (
        render_template("reports/funders/admin_grant.html", funder=funder, grant=grant, form=form),
        status,
    )


@admin_bp.route("/<int:funder_id>/grants/new", methods=["GET", "POST"])
@staff_required(Action.MANAGE_FUNDERS)
def new_grant(funder_id: int) -> Response | tuple[str, int]:
    record = load_funder(funder_id)
    form = _grant_form(record, None)
    if form.validate_on_submit():
        details = _grant_details(form)
        if details is not None and attempt(
            form, lambda: services.create_grant(record, details, actor=current_user), field="title"
        ):
            flash(_("The grant was added."), "success")
            return redirect(url_for("funders_admin.funder", funder_id=funder_id))
        record = load_funder(funder_id)
    return _grant_page(record, None, form)


@admin_bp.route("/<int:funder_id>/grants/<int:grant_id>", methods=["GET", "POST"])
@staff_required(Action.MANAGE_FUNDERS)
def grant(funder_id: int, grant_id: int) -> Response | tuple[str, int]:
    record = load_funder(funder_id)
    stored = load_in_organisation(
        Grant, grant_id, Action.MANAGE_FUNDERS, Grant.funder_id == record.id
    )
    form = _grant_form(record, stored)
    if form.validate_on_submit():
        details = _grant_details(form)
        if details is not None and attempt(
            form, lambda: services.update_grant(stored, details, actor=current_user), field="title"
        ):
            flash(_("Saved."), "success")
            return redirect(url_for("funders_admin.funder", funder_id=funder_id))
        record = load_funder(funder_id)
        stored = load_in_organisation(
            Grant, grant_id, Action.MANAGE_FUNDERS, Grant.funder_id == record.id
        )
    return _grant_page(record, stored, form)

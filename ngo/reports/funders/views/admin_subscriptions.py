"""/admin/funders/<id>/...: a funder's contacts (invited with the funder role, or linked from
the organisation's members) and report subscriptions, with "send now"."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ngo.accounts.access import load_in_organisation, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.models import Membership, Role, User
from ngo.accounts.policy import Action
from ngo.extensions import db
from ngo.forms import given
from ngo.reports.funders import schedule, services
from ngo.reports.funders.forms import InviteContactForm, LinkMemberForm, SubscriptionForm
from ngo.reports.funders.models import Funder, FunderContact, ReportSubscription
from ngo.reports.funders.views import admin_bp
from ngo.reports.funders.views.admin import load_funder
from ngo.unit_of_work import attempt

# Contacts -----------------------------------------------------------------------------------


def _unlinked_funder_members(funder: Funder) -> list[tuple[int, str]]:
    """Members with the funder role who are no funder's contact yet."""
    linked = (
        select(FunderContact.user_id)
        .join(Funder)
        .where(Funder.organisation_id == funder.organisation_id, FunderContact.user_id.is_not(None))
    )
    rows = db.session.execute(
        select(User.id, User.display_name)
        .join(Membership)
        .where(
            Membership.organisation_id == funder.organisation_id,
            Membership.role == Role.FUNDER.value,
            User.id.not_in(linked),
        )
        .order_by(User.display_name)
    )
    return [(user_id, name) for user_id, name in rows]


def _contacts_page(
    funder: Funder, invite_form: InviteContactForm, link_form: LinkMemberForm, status: int = 200
) -> tuple[str, int]:
    return (
        render_template(
            "reports/funders/admin_contacts.html",
            funder=funder,
            invite_form=invite_form,
            link_form=link_form,
            confirm_form=ConfirmForm(),
        ),
        status,
    )


def _link_form(funder: Funder) -> LinkMemberForm:
    form = LinkMemberForm(prefix="link")
    form.user.choices = _unlinked_funder_members(funder)
    return form


@admin_bp.get("/<int:funder_id>/contacts")
@staff_required(Action.MANAGE_FUNDERS)
def contacts(funder_id: int) -> tuple[str, int]:
    record = load_funder(funder_id)
    invite_form = InviteContactForm(prefix="invite")
    invite_form.locale.data = str(get_locale())
    return _contacts_page(record, invite_form, _link_form(record))


@admin_bp.post("/<int:funder_id>/contacts/invite")
@staff_required(Action.MANAGE_FUNDERS)
def invite_contact(funder_id: int) -> Response | tuple[str, int]:
    record = load_funder(funder_id)
    form = InviteContactForm(prefix="invite")
    if form.validate_on_submit() and attempt(
        form,
        lambda: services.invite_contact(
            record, given(form.email.data), locale=given(form.locale.data), actor=current_user
        ),
        field="email",
    ):
        flash(_("Invitation sent. They sign in with two factors once they accept."), "success")
        return redirect(url_for("funders_admin.contacts", funder_id=funder_id))
    record = load_funder(funder_id)
    return _contacts_page(record, form, _link_form(record), 400)


@admin_bp.post("/<int:funder_id>/contacts/link")
@staff_required(Action.MANAGE_FUNDERS)
def link_contact(funder_id: int) -> Response | tuple[str, int]:
    record = load_funder(funder_id)
    form = _link_form(record)
    if form.validate_on_submit() and attempt(
        form, lambda: services.link_member(record, given(form.user.data), actor=current_user)
    ):
        flash(_("The member is now a contact of this funder."), "success")
        return redirect(url_for("funders_admin.contacts", funder_id=funder_id))
    record = load_funder(funder_id)
    invite_form = InviteContactForm(prefix="invite")
    return _contacts_page(record, invite_form, form, 400)


@admin_bp.post("/<int:funder_id>/contacts/<int:contact_id>/remove")
@staff_required(Action.MANAGE_FUNDERS)
def remove_contact(funder_id: int, contact_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    record = load_funder(funder_id)
    contact = next((c for c in record.contacts if c.id == contact_id), None)
    if contact is None:
        abort(404)
    services.remove_contact(contact, actor=current_user)
    flash(_("The contact was removed."), "success")
    return redirect(url_for("funders_admin.contacts", funder_id=funder_id))


# Subscriptions ------------------------------------------------------------------------------


def _subscription_form(funder: Funder, subscription: ReportSubscription | None) -> SubscriptionForm:
    form = SubscriptionForm(obj=subscription)
    form.recipients.choices = [
        (c.id, f"{c.user.display_name} <{c.user.email}>")
        for c in funder.contacts
        if c.user is not None
    ]
    if subscription is not None and not form.is_submitted():
        form.recipients.data = [c.id for c in subscription.recipients]
    if subscription is None and not form.is_submitted():
        form.language.data = str(get_locale())
    return form


def _subscription_details(form: SubscriptionForm, *, new: bool) -> services.SubscriptionDetails:
    return services.SubscriptionDetails(
        frequency=given(form.frequency.data),
        language=given(form.language.data),
        recipient_ids=list(form.recipients.data or []),
        # A new subscription runs; pausing is a change to an existing one.
        active=new or bool(form.active.data),
    )


def _subscription_page(
    funder: Funder, subscription: ReportSubscription | None, form: SubscriptionForm
) -> tuple[str, int]:
    status = 400 if form.errors or form.form_errors else 200
    return (
        render_template(
            "reports/funders/admin_subscription.html",
            funder=funder,
            subscription=subscription,
            form=form,
            confirm_form=ConfirmForm(),
        ),
        status,
    )


def _load_subscription(funder: Funder, subscription_id: int) -> ReportSubscription:
    return load_in_organisation(
        ReportSubscription,
        subscription_id,
        Action.MANAGE_FUNDERS,
        ReportSubscription.funder_id == funder.id,
    )


def _subscription_form_view(
    funder_id: int,
    subscription_id: int | None,
    save: Callable[[Funder, ReportSubscription | None, SubscriptionForm], object],
    saved_message: str,
) -> Response | tuple[str, int]:
    """The form of a new subscription (no id) or of a stored one: `save` (a service call) and
    back to the funder, or the form again with the refusal (the funder and the subscription
    reloaded: the refusal rolled the request back)."""
    record = load_funder(funder_id)
    stored = None if subscription_id is None else _load_subscription(record, subscription_id)
    form = _subscription_form(record, stored)
    if form.validate_on_submit():
        if attempt(form, lambda: save(record, stored, form), field="recipients"):
            flash(saved_message, "success")
            return redirect(url_for("funders_admin.funder", funder_id=funder_id))
        record = load_funder(funder_id)
        if subscription_id is not None:
            stored = _load_subscription(record, subscription_id)
    return _subscription_page(record, stored, form)


@admin_bp.route("/<int:funder_id>/subscriptions/new", methods=["GET", "POST"])
@staff_required(Action.MANAGE_FUNDERS)
def new_subscription(funder_id: int) -> Response | tuple[str, int]:
    return _subscription_form_view(
        funder_id,
        None,
        lambda funder, _new, form: services.create_subscription(
            funder, _subscription_details(form, new=True), actor=current_user
        ),
        _("The report subscription was added."),
    )


@admin_bp.route("/<int:funder_id>/subscriptions/<int:subscription_id>", methods=["GET", "POST"])
@staff_required(Action.MANAGE_FUNDERS)
def subscription(funder_id: int, subscription_id: int) -> Response | tuple[str, int]:
    return _subscription_form_view(
        funder_id,
        subscription_id,
        lambda _funder, stored, form: services.update_subscription(
            given(stored), _subscription_details(form, new=False), actor=current_user
        ),
        _("Saved."),
    )


@admin_bp.post("/<int:funder_id>/subscriptions/<int:subscription_id>/send-now")
@staff_required(Action.MANAGE_FUNDERS)
def send_now(funder_id: int, subscription_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    record = load_funder(funder_id)
    stored = _load_subscription(record, subscription_id)
    if not stored.recipients:
        flash(_("Choose at least one recipient first."), "error")
    else:
        schedule.send_now(stored, actor=current_user)
        flash(
            _("The report is being made; it is e-mailed to the recipients when ready."), "success"
        )
    return redirect(url_for("funders_admin.funder", funder_id=funder_id))

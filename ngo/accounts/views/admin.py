"""Administration of the acting organisation (users, invitations, audit) and of the platform."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ngo import audit, audit_reading
from ngo.accounts import audit_names, invitations, organisation_details, policy, services, signin
from ngo.accounts.access import (
    acting_membership,
    load_in_organisation,
    staff_required,
)
from ngo.accounts.forms import (
    ROLE_LABELS,
    AuditFilterForm,
    ConfirmForm,
    InviteForm,
    NewOrganisationForm,
    OrganisationDetailsForm,
    RoleForm,
)
from ngo.accounts.models import Invitation, Membership, Organisation, Role, User
from ngo.accounts.policy import Action
from ngo.accounts.views import admin_bp
from ngo.extensions import db
from ngo.forms import add_error, given
from ngo.timeutil import utcnow
from ngo.unit_of_work import attempt


def _member(user_id: int) -> Membership:
    """A member of the acting organisation, named by their user id."""
    return load_in_organisation(Membership, user_id, Action.MANAGE_USERS, by=Membership.user_id)


@admin_bp.get("/users")
@staff_required(Action.MANAGE_USERS)
def users() -> str:
    membership = acting_membership()
    members = db.session.scalars(
        policy.scope(
            select(Membership).join(User).order_by(User.display_name),
            membership,
            Membership.organisation_id,
        )
    ).all()
    invitations = db.session.scalars(
        policy.scope(
            select(Invitation)
            .where(
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc()),
            membership,
            Invitation.organisation_id,
        )
    ).all()
    return render_template(
        "admin/users.html",
        members=members,
        invitations=invitations,
        role_labels=ROLE_LABELS,
        confirm_form=ConfirmForm(),
    )


@admin_bp.route("/users/invite", methods=["GET", "POST"])
@staff_required(Action.MANAGE_USERS)
def invite() -> Response | tuple[str, int]:
    form = InviteForm()
    if not form.is_submitted():
        form.locale.data = str(get_locale())
    if form.validate_on_submit():
        membership = acting_membership()
        invited = attempt(
            form,
            lambda: invitations.invite_user(
                membership.organisation,
                given(form.email.data),
                Role(form.role.data),
                locale=form.locale.data,
                actor=current_user,
            ),
            field="email",
        )
        if invited:
            hours = current_app.config["INVITATION_TTL_HOURS"]
            flash(
                ngettext(
                    "Invitation sent. The link is valid for %(num)d hour.",
                    "Invitation sent. The link is valid for %(num)d hours.",
                    hours,
                ),
                "success",
            )
            return redirect(url_for("admin.users"))
    status = 400 if form.errors else 200
    return render_template("admin/invite.html", form=form), status


def _user_page(membership: Membership, form: RoleForm) -> str:
    return render_template(
        "admin/user_detail.html",
        member=membership,
        form=form,
        confirm_form=ConfirmForm(),
        role_labels=ROLE_LABELS,
        # Lock, unlock and 2FA reset reach beyond this organisation: the page offers them only
        # when the policy allows, and otherwise says why.
        account_refusal=policy.account_action_refusal(current_user, membership.user),
        paused_until=signin.paused_until(membership.user),
    )


@admin_bp.get("/users/<int:user_id>")
@staff_required(Action.MANAGE_USERS)
def user_detail(user_id: int) -> str:
    membership = _member(user_id)
    return _user_page(membership, RoleForm(role=membership.role))


USER_OPERATIONS = "lock, unlock, 'reset-two-factor', suspend, reinstate, remove"


@admin_bp.post(f"/users/<int:user_id>/<any({USER_OPERATIONS}):operation>")
@staff_required(Action.MANAGE_USERS)
def user_action(user_id: int, operation: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = _member(user_id)
    done = attempt(None, lambda: _user_operation(operation, target))
    if not done:
        flash(done.message, "error")
        return redirect(url_for("admin.user_detail", user_id=user_id))
    flash(done.value, "success")
    if operation == "remove":
        return redirect(url_for("admin.users"))
    return redirect(url_for("admin.user_detail", user_id=user_id))


def _user_operation(operation: str, target: Membership) -> str:
    """Do one of USER_OPERATIONS to a member; returns what to tell the admin."""
    organisation_id = acting_membership().organisation_id
    if operation == "suspend":
        services.suspend_membership(target, actor=current_user)
        return _("The membership is suspended: this person cannot act in the organisation.")
    if operation == "reinstate":
        services.reinstate_membership(target, actor=current_user)
        return _("The membership is active again.")
    if operation == "lock":
        services.lock_user(
            target.user, actor=current_user, organisation_id=organisation_id, reason="admin"
        )
        return _("The account is locked and its sessions have ended.")
    if operation == "unlock":
        services.unlock_user(target.user, actor=current_user, organisation_id=organisation_id)
        return _("The account is unlocked.")
    if operation == "reset-two-factor":
        services.reset_second_factor(
            target.user, actor=current_user, organisation_id=organisation_id
        )
        return _("Two-factor authentication was reset; the user sets it up at next sign-in.")
    services.remove_membership(target, actor=current_user)
    return _("The user was removed from the organisation.")


@admin_bp.post("/users/<int:user_id>/role")
@staff_required(Action.MANAGE_USERS)
def change_role(user_id: int) -> Response | tuple[str, int]:
    target = _member(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        changed = attempt(
            None, lambda: services.change_role(target, Role(form.role.data), actor=current_user)
        )
        if changed:
            flash(_("The role was changed."), "success")
        else:
            flash(changed.message, "error")
        return redirect(url_for("admin.user_detail", user_id=user_id))
    return _user_page(target, form), 400


@admin_bp.post("/invitations/<int:invitation_id>/revoke")
@staff_required(Action.MANAGE_USERS)
def revoke_invitation(invitation_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    invitation = load_in_organisation(Invitation, invitation_id, Action.MANAGE_USERS)
    invitations.revoke_invitation(invitation, actor=current_user)
    flash(_("The invitation was withdrawn."), "success")
    return redirect(url_for("admin.users"))


@admin_bp.route("/organisation", methods=["GET", "POST"])
@staff_required(Action.EDIT_ORGANISATION)
def organisation() -> Response | tuple[str, int]:
    """The organisation's name and public details (shown on its public page and appeals)."""
    org = acting_membership().organisation
    form = OrganisationDetailsForm(obj=org)
    if form.validate_on_submit() and attempt(
        form, lambda: _save_organisation(org, form), field="name"
    ):
        flash(_("Saved."), "success")
        return redirect(url_for("admin.organisation"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("admin/organisation.html", form=form, organisation=org), status


def _save_organisation(org: Organisation, form: OrganisationDetailsForm) -> None:
    if " ".join(given(form.name.data).split()) != org.name:
        services.rename_organisation(org, given(form.name.data), actor=current_user)
    organisation_details.update_organisation_details(
        org,
        organisation_details.OrganisationDetails(
            slug=form.slug.data or "",
            legal_name=form.legal_name.data or "",
            short_name=form.short_name.data or "",
            postal_address=form.postal_address.data or "",
            registration_number=form.registration_number.data or "",
            contact_email=form.contact_email.data or "",
            website=form.website.data or "",
            about=form.about.data or "",
            how_we_verify=form.how_we_verify.data or "",
        ),
        actor=current_user,
    )


def _audit_filters(organisation_id: int) -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.person.choices = [("", _("Everyone")), *audit_names.member_choices(organisation_id)]
    form.action.choices = [
        ("", _("All kinds")),
        *((group, str(label)) for group, label in audit_reading.ACTION_GROUPS.items()),
    ]
    return form


def _render_audit_log(chain: audit.ChainReport | None) -> tuple[str, int]:
    """The organisation's log as sentences, filtered by person, case and kind of action.
    A filter that names nothing (a case reference of no case here) is shown at its field."""
    organisation_id = acting_membership().organisation_id
    form = _audit_filters(organisation_id)
    events: list[audit_reading.ReadableEvent] = []
    total = 0
    page = 1
    if form.validate():
        page = form.page.data or 1
        case_id = None
        if form.case.data:
            case_id = audit_reading.find_object("case", form.case.data, organisation_id)
            if case_id is None:
                add_error(form.case, _("No case of this organisation has this reference."))
        if not form.case.errors:
            rows, total = audit_reading.page_of_events(
                organisation_id,
                actor_id=int(form.person.data) if form.person.data else None,
                object_type="case" if case_id else None,
                object_id=case_id,
                # As on the case's History tab: its appeals', gifts', payments' events too.
                with_related=True,
                group=form.action.data or None,
                page=page,
            )
            events = audit_reading.readable_events(rows, organisation_id)
    status = 400 if form.errors else 200
    filters = {
        name: value
        for name, value in (
            ("person", form.person.data),
            ("case", form.case.data),
            ("action", form.action.data),
        )
        if value
    }
    return render_template(
        "admin/audit.html",
        events=events,
        total=total,
        page=page,
        page_size=audit_reading.PAGE_SIZE,
        filters=filters,
        form=form,
        chain=chain,
        confirm_form=ConfirmForm(),
    ), status


@admin_bp.get("/audit")
@staff_required(Action.VIEW_AUDIT_LOG)
def audit_log() -> tuple[str, int]:
    return _render_audit_log(None)


@admin_bp.post("/audit/verify")
@staff_required(Action.VIEW_AUDIT_LOG)
def verify_audit_log() -> tuple[str, int]:
    """Walks the whole chain, so it runs on request rather than on every page view."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _render_audit_log(audit.verify_chain())


@admin_bp.route("/organisations", methods=["GET", "POST"])
@staff_required(Action.MANAGE_ORGANISATIONS)
def organisations() -> Response | tuple[str, int]:
    form = NewOrganisationForm()
    if not form.is_submitted():
        form.locale.data = str(get_locale())
    if form.validate_on_submit() and attempt(
        form,
        lambda: _create_organisation(
            given(form.name.data), given(form.admin_email.data), form.locale.data
        ),
        field="name",
    ):
        flash(_("The organisation was created and its administrator invited."), "success")
        return redirect(url_for("admin.organisations"))
    listing = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    status = 400 if form.errors else 200
    return render_template("admin/organisations.html", form=form, organisations=listing), status


def _create_organisation(name: str, admin_email: str, locale: str) -> None:
    organisation = services.create_organisation(name, actor=current_user)
    invitations.invite_user(
        organisation, admin_email, Role.ADMIN, locale=locale, actor=current_user
    )

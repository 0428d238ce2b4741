"""The pages that links in our e-mails open: invitations and password resets.

A link carries its token after "#" (`/invitation#<token>`). Browsers never send that part of an
address to a server, so the token is written to no access log, proxy log or Referer header. The
page holds a form for the token; static/js/link-token.js fills it from the address and sends it,
and where scripts do not run the reader pastes it. From there on the token travels in POST
bodies only: opening the link shows the form that fits it, and that form carries the token on.
A GET never changes anything, so mail scanners that open links do no harm.

Links in e-mails sent before this (`/invitation/<token>`, `/password/reset/<token>`) are sent on
to the new form of address; ngo.access_log keeps their tokens out of gunicorn's logs.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ngo.accounts import invitations, password_reset, services, signin
from ngo.accounts.forms import (
    AcceptInvitationForm,
    ExistingAccountInvitationForm,
    LinkForm,
    ResetPasswordForm,
)
from ngo.accounts.models import Invitation, User
from ngo.accounts.services import AccountError
from ngo.accounts.tokens import LinkError, LinkProblem
from ngo.accounts.views import bp, end_session, login_rate_limit
from ngo.accounts.views.auth import continue_sign_in
from ngo.extensions import limiter
from ngo.forms import given
from ngo.unit_of_work import attempt, commit_even_if_refused

Page = Response | str | tuple[str, int]
InvitationForm = AcceptInvitationForm | ExistingAccountInvitationForm


def link_page(endpoint: str, token: str) -> str:
    """The address an e-mail links to: the token after "#", where no server sees it."""
    return f"{url_for(endpoint)}#{token}"


def _link_problem_page(problem: LinkProblem, kind: str) -> tuple[str, int]:
    messages = {
        LinkProblem.INVALID: _("This link is not valid. Check that you copied all of it."),
        LinkProblem.EXPIRED: _("This link has expired."),
        LinkProblem.USED: _("This link has already been used."),
    }
    hint = (
        _("Ask an administrator of the organisation for a new invitation.")
        if kind == "invitation"
        else _("You can ask for a new link below.")
    )
    status = 400 if problem is LinkProblem.INVALID else 410
    return render_template(
        "accounts/link_problem.html", message=messages[problem], hint=hint, kind=kind
    ), status


def _open_link_page(form: LinkForm, kind: str, status: int = 200) -> tuple[str, int]:
    action = "accounts.open_invitation" if kind == "invitation" else "accounts.open_password_reset"
    return render_template(
        "accounts/open_link.html", form=form, action=url_for(action), kind=kind
    ), status


# Invitations -----------------------------------------------------------------------------


@bp.get("/invitation")
def invitation_link() -> tuple[str, int]:
    return _open_link_page(LinkForm(), "invitation")


def _invitation_page(invitation: Invitation, form: InvitationForm, status: int) -> tuple[str, int]:
    existing = services.find_user_by_email(invitation.email)
    return render_template(
        "accounts/accept_invitation.html", form=form, invitation=invitation, existing=existing
    ), status


def _invitation_form(invitation: Invitation) -> InvitationForm:
    existing = services.find_user_by_email(invitation.email)
    return ExistingAccountInvitationForm() if existing else AcceptInvitationForm()


@bp.post("/invitation")
@limiter.limit(login_rate_limit)
def open_invitation() -> Page:
    """The token from the link: show the form that fits the invitation. Changes nothing."""
    form = LinkForm()
    if not form.validate_on_submit():
        return _open_link_page(form, "invitation", 400)
    try:
        invitation = invitations.load_invitation(given(form.token.data))
    except LinkError as exc:
        return _link_problem_page(exc.problem, "invitation")
    accept_form = _invitation_form(invitation)
    accept_form.token.data = form.token.data
    return _invitation_page(invitation, accept_form, 200)


@bp.post("/invitation/accept")
@limiter.limit(login_rate_limit)
def accept_invitation() -> Page:
    try:
        invitation = invitations.load_invitation(request.form.get("token", ""))
    except LinkError as exc:
        return _link_problem_page(exc.problem, "invitation")
    existing = services.find_user_by_email(invitation.email)
    form = _invitation_form(invitation)
    if form.validate_on_submit():
        if existing is None:
            joined = attempt(
                form,
                lambda: invitations.accept_invitation(
                    invitation,
                    display_name=form.display_name.data or "",
                    password=given(form.password.data),
                ),
                field="password",
            )
        else:
            with commit_even_if_refused():  # a wrong guess counts towards the pause
                confirmed = signin.confirm_password(existing, given(form.password.data))
            joined = attempt(
                form, lambda: _join_with_account(invitation, existing, confirmed), field="password"
            )
        if joined:
            end_session()
            return continue_sign_in(joined.value, url_for("dashboard.home"))
    return _invitation_page(invitation, form, 400)


def _join_with_account(invitation: Invitation, user: User, password_confirmed: bool) -> User:
    if not password_confirmed:
        raise AccountError(_("You already have an account: enter its current password."))
    invitations.accept_invitation_with_account(invitation, user)
    return user


@bp.get("/invitation/<token>")
def legacy_invitation_link(token: str) -> Response:
    return redirect(link_page("accounts.invitation_link", token), 303)


# Password reset --------------------------------------------------------------------------


@bp.get("/password/reset")
def password_reset_link() -> tuple[str, int]:
    return _open_link_page(LinkForm(), "reset")


@bp.post("/password/reset")
@limiter.limit(login_rate_limit)
def open_password_reset() -> Page:
    form = LinkForm()
    if not form.validate_on_submit():
        return _open_link_page(form, "reset", 400)
    try:
        password_reset.load_password_reset(given(form.token.data))
    except LinkError as exc:
        return _link_problem_page(exc.problem, "reset")
    reset_form = ResetPasswordForm()
    reset_form.token.data = form.token.data
    return render_template("accounts/reset_password.html", form=reset_form), 200


@bp.post("/password/reset/new")
@limiter.limit(login_rate_limit)
def reset_password() -> Page:
    try:
        reset = password_reset.load_password_reset(request.form.get("token", ""))
    except LinkError as exc:
        return _link_problem_page(exc.problem, "reset")
    form = ResetPasswordForm()
    if form.validate_on_submit() and attempt(
        form,
        lambda: password_reset.reset_password(reset, given(form.password.data)),
        field="password",
    ):
        end_session()
        flash(_("Your password has been changed. Sign in with the new password."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form), 400


@bp.get("/password/reset/<token>")
def legacy_password_reset_link(token: str) -> Response:
    return redirect(link_page("accounts.password_reset_link", token), 303)

"""Sign-in with password and second factor, invitations and password resets."""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from ngo.accounts import policy, services, two_factor
from ngo.accounts.forms import (
    AcceptInvitationForm,
    ConfirmForm,
    EnrolSecondFactorForm,
    ExistingAccountInvitationForm,
    LoginForm,
    ResetPasswordForm,
    ResetRequestForm,
    SecondFactorForm,
)
from ngo.accounts.models import User
from ngo.accounts.services import AccountError, LoginResult
from ngo.accounts.tokens import LinkError, LinkProblem
from ngo.accounts.views import bp, end_session, login_rate_limit, start_signed_in_session
from ngo.extensions import db, limiter
from ngo.urls import safe_redirect_target

PENDING_KEY = "auth_pending"
PENDING_SECONDS = 600


def _after_login_target() -> str:
    return safe_redirect_target(request.args.get("next"), url_for("accounts.dashboard"))


def _set_pending(user: User, target: str) -> None:
    session[PENDING_KEY] = {
        "uid": user.id,
        "v": user.session_version,
        "at": int(time.time()),
        "next": target,
    }


def _pending_user() -> User | None:
    """The user who passed the password step in this browser within the last ten minutes."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("uid"))
    if user is None or user.session_version != pending.get("v") or not user.is_active:
        return None
    return user


def _pending_target() -> str:
    """Where the sign-in started for; checked again, as the session may come from an older
    version of the check."""
    pending = session.get(PENDING_KEY)
    target = pending.get("next") if isinstance(pending, dict) else None
    return safe_redirect_target(target, url_for("accounts.dashboard"))


def _finish_login(user: User) -> Response:
    target = _pending_target()
    start_signed_in_session(user)
    services.complete_login(user)
    db.session.commit()
    return redirect(target)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        attempt = services.check_password_login(form.email.data, form.password.data)
        db.session.commit()  # failed-login counters and lock-outs must stick
        if attempt.result is LoginResult.LOCKED:
            form.form_errors.append(
                _("This account is locked. Ask an administrator of your organisation to unlock it.")
            )
        elif attempt.result is LoginResult.INVALID:
            form.form_errors.append(_("Wrong e-mail address or password."))
        else:
            user = attempt.user
            _set_pending(user, _after_login_target())
            if user.has_second_factor:
                return redirect(url_for("accounts.second_factor"))
            if policy.must_use_second_factor(user):
                return redirect(url_for("accounts.enrol_second_factor"))
            return _finish_login(user)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def second_factor() -> Response | str:
    user = _pending_user()
    if user is None or not user.has_second_factor:
        flash(_("Please sign in again."), "info")
        return redirect(url_for("accounts.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        if services.check_second_factor(user, form.code.data):
            return _finish_login(user)
        db.session.commit()
        if user.locked_at is not None:
            session.pop(PENDING_KEY, None)
            flash(
                _("Too many wrong codes: the account is now locked. Ask an administrator."), "error"
            )
            return redirect(url_for("accounts.login"))
        form.code.errors.append(_("That code is not valid. Codes change every 30 seconds."))
    status = 400 if form.errors else 200
    return render_template("accounts/second_factor.html", form=form), status


@bp.route("/two-factor/setup", methods=["GET", "POST"])
def enrol_second_factor() -> Response | str:
    """Reached after the password step (pending) or from the account settings (signed in)."""
    user = current_user if current_user.is_authenticated else _pending_user()
    if user is None:
        return redirect(url_for("accounts.login"))
    if user.has_second_factor:
        return redirect(url_for("accounts.account"))
    form = EnrolSecondFactorForm()
    if request.method == "GET" or user.totp_secret is None:
        two_factor.start_enrolment(user)
        db.session.commit()
    elif form.validate_on_submit():
        codes = two_factor.confirm_enrolment(user, form.code.data)
        if codes is not None:
            continue_url = url_for("accounts.account")
            if not current_user.is_authenticated:
                continue_url = _pending_target()
                start_signed_in_session(user)
                services.complete_login(user)
            db.session.commit()
            return render_template(
                "accounts/recovery_codes.html", codes=codes, continue_url=continue_url
            )
        form.code.errors.append(_("That code is not valid. Check the clock of your phone."))
    status = 400 if form.errors else 200
    return render_template(
        "accounts/enrol_second_factor.html",
        form=form,
        qr_code=two_factor.qr_code_data_uri(user),
        secret=user.totp_secret,
    ), status


@bp.post("/logout")
def logout() -> Response:
    form = ConfirmForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            # The cookie cannot be taken back from the browser (or from whoever copied it):
            # moving the version on makes it, and every other session of the user, worthless.
            services.sign_out(current_user._get_current_object())
            db.session.commit()
        end_session()
    return redirect(url_for("public.home"))


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


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def accept_invitation(token: str) -> Response | str | tuple[str, int]:
    try:
        invitation = services.load_invitation(token)
    except LinkError as exc:
        return _link_problem_page(exc.problem, "invitation")
    existing = services.find_user_by_email(invitation.email)
    form = ExistingAccountInvitationForm() if existing else AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            if existing is None:
                user = services.accept_invitation(
                    invitation,
                    display_name=form.display_name.data or "",
                    password=form.password.data,
                )
            elif services.confirm_password(existing, form.password.data):
                services.accept_invitation_with_account(invitation, existing)
                user = existing
            else:
                db.session.commit()  # the wrong guess counts towards the lock-out
                raise AccountError(_("You already have an account: enter its current password."))
        except AccountError as exc:
            db.session.rollback()
            form.password.errors.append(str(exc.message))
        else:
            db.session.commit()
            end_session()
            _set_pending(user, url_for("accounts.dashboard"))
            if user.has_second_factor:
                return redirect(url_for("accounts.second_factor"))
            if policy.must_use_second_factor(user):
                return redirect(url_for("accounts.enrol_second_factor"))
            return _finish_login(user)
    status = 400 if form.errors else 200
    return render_template(
        "accounts/accept_invitation.html", form=form, invitation=invitation, existing=existing
    ), status


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def forgot_password() -> Response | str | tuple[str, int]:
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        # The same answer whether or not the address has an account.
        flash(
            ngettext(
                "If an account uses this address, we have sent it a link. "
                "It is valid for %(num)d minute.",
                "If an account uses this address, we have sent it a link. "
                "It is valid for %(num)d minutes.",
                current_app.config["PASSWORD_RESET_TTL_MINUTES"],
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    status = 400 if form.errors else 200
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def reset_password(token: str) -> Response | str | tuple[str, int]:
    try:
        reset = services.load_password_reset(token)
    except LinkError as exc:
        return _link_problem_page(exc.problem, "reset")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(reset, form.password.data)
        except AccountError as exc:
            db.session.rollback()
            form.password.errors.append(str(exc.message))
        else:
            db.session.commit()
            end_session()
            flash(_("Your password has been changed. Sign in with the new password."), "success")
            return redirect(url_for("accounts.login"))
    status = 400 if form.errors else 200
    return render_template("accounts/reset_password.html", form=form), status

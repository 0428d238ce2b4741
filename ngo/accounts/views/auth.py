"""Sign-in with password and second factor, sign-out, and asking for a password reset.

The pages e-mailed links open (invitations, password resets) are in views/links.py.
"""

from __future__ import annotations

import time
from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ngo.accounts import password_reset, policy, signin, two_factor
from ngo.accounts.forms import (
    ConfirmForm,
    EnrolSecondFactorForm,
    LoginForm,
    ResetRequestForm,
    SecondFactorForm,
)
from ngo.accounts.models import User
from ngo.accounts.signin import LoginResult
from ngo.accounts.views import bp, end_session, login_rate_limit, start_signed_in_session
from ngo.extensions import db, limiter
from ngo.forms import add_error, given
from ngo.unit_of_work import commit_even_if_refused
from ngo.urls import safe_redirect_target

PENDING_KEY = "auth_pending"
PENDING_SECONDS = 600


def _after_login_target() -> str:
    return safe_redirect_target(request.args.get("next"), url_for("dashboard.home"))


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
    if signin.paused_until(user):
        return None
    return user


def _pending_target() -> str:
    """Where the sign-in started for; checked again, as the session may come from an older
    version of the check."""
    pending = session.get(PENDING_KEY)
    target = pending.get("next") if isinstance(pending, dict) else None
    return safe_redirect_target(target, url_for("dashboard.home"))


def _finish_login(user: User) -> Response:
    target = _pending_target()
    start_signed_in_session(user)
    signin.complete_login(user)
    return redirect(target)


def continue_sign_in(user: User, target: str) -> Response:
    """After the first factor (a password, or joining through an invitation): on to the
    second factor, its enrolment, or (demo users in development) straight in.

    Enrolment gets a fresh secret here, in the POST that proved the first factor, since the
    enrolment page is a GET and never writes: whoever saw a secret offered to an earlier
    sign-in cannot use it once the owner has signed in again."""
    _set_pending(user, target)
    if user.has_second_factor:
        return redirect(url_for("accounts.second_factor"))
    if policy.must_use_second_factor(user):
        two_factor.start_enrolment(user)
        return redirect(url_for("accounts.enrol_second_factor"))
    return _finish_login(user)


def _paused_message(until: datetime) -> str:
    """For someone who has just proved the password: telling them reveals nothing new."""
    return _(
        "Too many wrong attempts: sign-in to this account is paused until %(when)s. "
        "Its owner has been told by e-mail.",
        when=format_datetime(until, "short"),
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    if form.validate_on_submit():
        with commit_even_if_refused():  # failed-login counters and pauses must stick
            attempt = signin.check_password_login(given(form.email.data), given(form.password.data))
        if attempt.result is LoginResult.LOCKED:
            form.form_errors.append(
                _("This account is locked. Ask an administrator of your organisation to unlock it.")
            )
        elif attempt.result is LoginResult.INVALID:
            # The same words whether the address is unknown, the password wrong or sign-in to
            # the account paused: the pause is explained to everybody, and told to its owner.
            form.form_errors.append(
                _(
                    "Wrong e-mail address or password. After several wrong attempts, sign-in to "
                    "an account pauses for a while and its owner is told by e-mail."
                )
            )
        else:
            return continue_sign_in(given(attempt.user), _after_login_target())
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def second_factor() -> ResponseReturnValue:
    user = _pending_user()
    if user is None or not user.has_second_factor:
        flash(_("Please sign in again."), "info")
        return redirect(url_for("accounts.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        with commit_even_if_refused():  # a wrong code counts towards the pause
            passed = signin.check_second_factor(user, given(form.code.data))
        if passed:
            return _finish_login(user)
        until = signin.paused_until(user)
        if until is not None:
            session.pop(PENDING_KEY, None)
            flash(_paused_message(until), "error")
            return redirect(url_for("accounts.login"))
        add_error(form.code, _("That code is not valid. Codes change every 30 seconds."))
    status = 400 if form.errors else 200
    return render_template("accounts/second_factor.html", form=form), status


def _enrolling_user() -> User | None:
    return current_user if current_user.is_authenticated else _pending_user()


@bp.route("/two-factor/setup", methods=["GET", "POST"])
def enrol_second_factor() -> Response | str | tuple[str, int]:
    """Reached after the password step (pending, with the secret it chose) or from the account
    settings (signed in: the secret is chosen by start_second_factor, a POST)."""
    user = _enrolling_user()
    if user is None:
        return redirect(url_for("accounts.login"))
    if user.has_second_factor:
        return redirect(url_for("accounts.account"))
    form = EnrolSecondFactorForm()
    if user.totp_secret is None:
        return render_template(
            "accounts/enrol_second_factor.html", form=form, start_form=ConfirmForm()
        ), 200
    if request.method == "POST" and form.validate_on_submit():
        codes = two_factor.confirm_enrolment(user, given(form.code.data))
        if codes is not None:
            continue_url = url_for("accounts.account")
            if not current_user.is_authenticated:
                continue_url = _pending_target()
                start_signed_in_session(user)
                signin.complete_login(user)
            return render_template(
                "accounts/recovery_codes.html", codes=codes, continue_url=continue_url
            )
        add_error(form.code, _("That code is not valid. Check the clock of your phone."))
    status = 400 if form.errors else 200
    return render_template(
        "accounts/enrol_second_factor.html",
        form=form,
        qr_code=two_factor.qr_code_data_uri(user),
        secret=user.totp_secret,
    ), status


@bp.post("/two-factor/setup/start")
def start_second_factor() -> Response:
    """Choose a new secret to scan (the enrolment page shows it) and start over."""
    user = _enrolling_user()
    if user is None:
        return redirect(url_for("accounts.login"))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not user.has_second_factor:
        two_factor.start_enrolment(user)
    return redirect(url_for("accounts.enrol_second_factor"), 303)


@bp.post("/logout")
def logout() -> Response:
    form = ConfirmForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            # The cookie cannot be taken back from the browser (or from whoever copied it):
            # moving the version on makes it, and every other session of the user, worthless.
            signin.sign_out(current_user._get_current_object())
        end_session()
    return redirect(url_for("public.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def forgot_password() -> Response | str | tuple[str, int]:
    form = ResetRequestForm()
    if form.validate_on_submit():
        password_reset.request_password_reset(given(form.email.data))
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

"""The signed-in user's own pages: account settings, language, organisation switch."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from ngo.accounts import services, signin, two_factor
from ngo.accounts.forms import ChangePasswordForm, ConfirmForm, LanguageForm
from ngo.accounts.views import bp, end_session, login_rate_limit
from ngo.extensions import limiter
from ngo.forms import add_error, given
from ngo.i18n import remember_language
from ngo.unit_of_work import attempt, commit_even_if_refused
from ngo.urls import safe_redirect_target


def _account_page(form: ChangePasswordForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "accounts/account.html",
        form=form,
        confirm_form=ConfirmForm(),
        recovery_codes_left=two_factor.remaining_recovery_codes(current_user),
    ), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
@limiter.limit(login_rate_limit, methods=["POST"])
def account() -> Response | tuple[str, int]:
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _account_page(form, 400 if form.errors else 200)
    # The real user, not the proxy: login_user below stores what it gets as the current user,
    # and a proxy that points at itself recurses without end on the next access.
    user = current_user._get_current_object()
    with commit_even_if_refused():  # a wrong guess counts towards the pause
        confirmed = signin.confirm_password(user, given(form.current_password.data))
    if not confirmed:
        if signin.paused_until(user) is not None:
            # Whoever holds this session keeps guessing the password: end it, and any copy.
            signin.sign_out(user)
            end_session()
            flash(
                _(
                    "Too many wrong passwords: you were signed out and sign-in to this account "
                    "is paused for a while. Its owner has been told by e-mail."
                ),
                "error",
            )
            return redirect(url_for("accounts.login"))
        add_error(form.current_password, _("The current password is not correct."))
        return _account_page(form, 400)
    if not attempt(
        form, lambda: services.change_password(user, given(form.password.data)), field="password"
    ):
        return _account_page(form, 400)
    login_user(user)  # the session version moved on; keep this session
    flash(_("Your password has been changed. Other sessions were signed out."), "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/recovery-codes")
@login_required
def new_recovery_codes() -> Response | str:
    if not ConfirmForm().validate_on_submit() or not current_user.has_second_factor:
        abort(400)
    codes = two_factor.issue_recovery_codes(current_user)
    return render_template(
        "accounts/recovery_codes.html", codes=codes, continue_url=url_for("accounts.account")
    )


@bp.post("/account/organisation/<int:organisation_id>")
@login_required
def switch_organisation(organisation_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not any(
        m.organisation_id == organisation_id and not m.is_suspended
        for m in current_user.memberships
    ):
        abort(404)
    session["org_id"] = organisation_id
    return redirect(url_for("dashboard.home"))


@bp.post("/language")
def change_language() -> Response:
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        current_user.locale = form.language.data
    response = redirect(safe_redirect_target(request.form.get("next"), url_for("public.home")))
    remember_language(response, form.language.data)
    return response

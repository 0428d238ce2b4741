"""The organisation's money settings, for its staff: bank accounts (admins) and exchange
rates (admins and treasurers)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ngo.accounts.access import acting_membership, load_in_organisation, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action
from ngo.donations import bank_accounts, rates
from ngo.donations.forms_settings import (
    BankAccountDetailsForm,
    ExchangeRateForm,
    NewBankAccountForm,
)
from ngo.donations.models import BankAccount, ExchangeRate, RateFetchFailure, RateSource
from ngo.extensions import db
from ngo.unit_of_work import attempt

bp = Blueprint("donations_admin", __name__, url_prefix="/admin")


def _details(form: BankAccountDetailsForm) -> bank_accounts.BankAccountDetails:
    return bank_accounts.BankAccountDetails(
        account_holder=form.account_holder.data or "",
        bic=form.bic.data or "",
        bank_name=form.bank_name.data or "",
    )


@bp.get("/bank-accounts")
@staff_required(Action.EDIT_ORGANISATION)
def bank_accounts_list() -> str:
    organisation = acting_membership().organisation
    return render_template(
        "donations/bank_accounts.html",
        accounts=bank_accounts.bank_accounts_of(organisation),
        confirm_form=ConfirmForm(),
    )


@bp.route("/bank-accounts/new", methods=["GET", "POST"])
@staff_required(Action.EDIT_ORGANISATION)
def new_bank_account() -> Response | tuple[str, int]:
    form = NewBankAccountForm()
    organisation = acting_membership().organisation
    if form.validate_on_submit() and attempt(
        form,
        lambda: bank_accounts.add_bank_account(
            organisation,
            currency=form.currency.data or "",
            iban=form.iban.data or "",
            details=_details(form),
            actor=current_user,
        ),
        field="iban",
    ):
        flash(_("The bank account was added."), "success")
        return redirect(url_for("donations_admin.bank_accounts_list"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("donations/bank_account_form.html", form=form, account=None), status


@bp.route("/bank-accounts/<int:account_id>", methods=["GET", "POST"])
@staff_required(Action.EDIT_ORGANISATION)
def edit_bank_account(account_id: int) -> Response | tuple[str, int]:
    account = load_in_organisation(BankAccount, account_id, Action.EDIT_ORGANISATION)
    form = BankAccountDetailsForm(obj=account)
    if form.validate_on_submit() and attempt(
        form,
        lambda: bank_accounts.edit_bank_account(account, _details(form), actor=current_user),
        field="bic",
    ):
        flash(_("Saved."), "success")
        return redirect(url_for("donations_admin.bank_accounts_list"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("donations/bank_account_form.html", form=form, account=account), status


@bp.post("/bank-accounts/<int:account_id>/retire")
@staff_required(Action.EDIT_ORGANISATION)
def retire_bank_account(account_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    account = load_in_organisation(BankAccount, account_id, Action.EDIT_ORGANISATION)
    done = attempt(None, lambda: bank_accounts.retire_bank_account(account, actor=current_user))
    if done:
        flash(_("The account was retired: donors are no longer shown it."), "success")
    else:
        flash(done.message, "error")
    return redirect(url_for("donations_admin.bank_accounts_list"))


# Exchange rates ---------------------------------------------------------------------------


def _rates_page(form: ExchangeRateForm, status: int = 200) -> tuple[str, int]:
    organisation_id = acting_membership().organisation_id
    latest_day = (
        select(ExchangeRate.currency, func.max(ExchangeRate.rate_date).label("day"))
        .where(ExchangeRate.source == RateSource.ECB.value)
        .group_by(ExchangeRate.currency)
    )
    latest = latest_day.subquery()
    ecb_rates = db.session.scalars(
        select(ExchangeRate)
        .join(
            latest,
            (latest.c.currency == ExchangeRate.currency) & (latest.c.day == ExchangeRate.rate_date),
        )
        .where(ExchangeRate.source == RateSource.ECB.value)
        .order_by(ExchangeRate.currency)
    ).all()
    own_rates = db.session.scalars(
        select(ExchangeRate)
        .where(
            ExchangeRate.source == RateSource.ADMIN.value,
            ExchangeRate.organisation_id == organisation_id,
        )
        .order_by(ExchangeRate.rate_date.desc(), ExchangeRate.currency)
        .limit(50)
    ).all()
    failures = db.session.scalars(
        select(RateFetchFailure).order_by(RateFetchFailure.id.desc()).limit(10)
    ).all()
    return render_template(
        "donations/exchange_rates.html",
        form=form,
        ecb_rates=ecb_rates,
        own_rates=own_rates,
        failures=failures,
    ), status


@bp.get("/exchange-rates")
@staff_required(Action.MANAGE_EXCHANGE_RATES)
def exchange_rates() -> tuple[str, int]:
    return _rates_page(ExchangeRateForm())


@bp.post("/exchange-rates")
@staff_required(Action.MANAGE_EXCHANGE_RATES)
def enter_exchange_rate() -> Response | tuple[str, int]:
    form = ExchangeRateForm()
    organisation = acting_membership().organisation
    if form.validate_on_submit() and attempt(
        form,
        lambda: rates.enter_rate(
            organisation,
            form.currency.data or "",
            form.rate.data or "",
            form.rate_date.data,  # type: ignore[arg-type]  # DataRequired checked it
            actor=current_user,
        ),
        field="rate",
    ):
        flash(_("The rate was saved."), "success")
        return redirect(url_for("donations_admin.exchange_rates"))
    return _rates_page(form, 400)

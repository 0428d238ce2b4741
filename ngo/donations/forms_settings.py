"""Forms of the organisation's money settings: bank accounts and hand-entered exchange rates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs
from wtforms.validators import DataRequired, Length

from ngo.donations.bank_accounts import BANK_NAME_MAX, HOLDER_MAX

# Currencies an organisation banks and converts in; ngo.money knows each one's minor unit.
ACCOUNT_CURRENCIES = ("EUR", "PLN", "USD", "GBP", "CHF", "CZK", "SEK", "NOK", "DKK", "UAH")
RATE_CURRENCIES = (*(c for c in ACCOUNT_CURRENCIES if c != "EUR"), "BYN", "MDL", "GEL")


def _currency_choices(codes: tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice("", _l("Choose a currency")), *(SelectChoice(c, c) for c in codes)]


class BankAccountDetailsForm(FlaskForm):
    account_holder = StringField(
        _l("Account holder"),
        validators=[
            DataRequired(message=_l("Give the account holder's name.")),
            Length(max=HOLDER_MAX),
        ],
    )
    bic = StringField(
        _l("BIC (SWIFT code)"),
        validators=[DataRequired(message=_l("Give the bank's BIC.")), Length(max=20)],
    )
    bank_name = StringField(
        _l("Bank name (optional: found from the IBAN where known)"),
        validators=[Length(max=BANK_NAME_MAX)],
    )
    submit = SubmitField(_l("Save"))


class NewBankAccountForm(BankAccountDetailsForm):
    currency = SelectField(
        _l("Currency"),
        choices=_currency_choices(ACCOUNT_CURRENCIES),
        default="",
        validators=[DataRequired(message=_l("Choose a currency."))],
    )
    iban = StringField(
        _l("IBAN"),
        validators=[DataRequired(message=_l("Give the account's IBAN.")), Length(max=64)],
    )
    submit = SubmitField(_l("Add account"))


class ExchangeRateForm(FlaskForm):
    currency = SelectField(
        _l("Currency"),
        choices=_currency_choices(RATE_CURRENCIES),
        default="",
        validators=[DataRequired(message=_l("Choose a currency."))],
    )
    rate = StringField(
        _l("Units of the currency for 1 euro"),
        validators=[DataRequired(message=_l("Enter the rate.")), Length(max=32)],
    )
    rate_date = DateField(
        _l("Day the rate is for"),
        validators=[DataRequired(message=_l("Enter the day as YYYY-MM-DD."))],
    )
    submit = SubmitField(_l("Save rate"))

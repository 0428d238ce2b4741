"""Converting money between currencies at a stored rate, and entering a rate by hand.

Rates are stored per 1 euro (the ECB's convention). A conversion from X to Y uses the latest
rate of each on or before the day asked for (cross rates go through the euro), at most
`EXCHANGE_RATE_MAX_AGE_DAYS` old, and is defined by the one decimal rate it reports:

    amount_minor(Y) = round_half_even(amount_minor(X) * rate * 10 ** (exponent(Y) - exponent(X)))

computed exactly with Decimal. So whoever reads a donation's stored rate can recompute its
converted amount to the minor unit. A cross rate is rounded once, to RATE_DIGITS significant
digits, before it is used; a direct euro rate is used as published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, localcontext

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, or_, select

from ngo import audit
from ngo.accounts.models import Organisation, User
from ngo.donations.models import ExchangeRate, RateSource
from ngo.extensions import db
from ngo.money import MoneyError, minor_units
from ngo.money.currencies import check_currency
from ngo.rules import RuleError

BASE = "EUR"
RATE_DIGITS = 20
DEFAULT_MAX_AGE_DAYS = 10
# What a rate entered by hand may look like: positive, at most this many decimals.
ADMIN_RATE_DECIMALS = 10
ADMIN_RATE_MAX = Decimal("1000000000")
_ONE = Decimal(1)


class ExchangeRateError(RuleError):
    """No usable rate, or a rate that cannot be stored as given."""


@dataclass(frozen=True)
class Quote:
    """One stored rate: `rate` units of `currency` per 1 euro, on `rate_date`, from `source`."""

    currency: str
    rate: Decimal
    rate_date: date
    source: str


@dataclass(frozen=True)
class Conversion:
    """An amount converted: `amount_minor` of `currency`; `rate` is units of the target per
    unit of the source currency (1 for the same currency); `rate_date` the date of the oldest
    rate used; `source` "ecb", "admin" (if any rate used was entered by hand) or "same"."""

    amount_minor: int
    currency: str
    rate: Decimal
    rate_date: date
    source: str


def _exact() -> Context:
    # Wide enough for any amount times a RATE_DIGITS rate; Inexact is an error, never rounding.
    return Context(prec=200, rounding=ROUND_HALF_EVEN, traps=[Inexact, InvalidOperation])


def cross_rate(from_quote: Quote | None, to_quote: Quote | None) -> Decimal:
    """Units of the target per unit of the source; a quote of None stands for the euro."""
    if from_quote is None:
        return to_quote.rate if to_quote is not None else _ONE
    to_rate = to_quote.rate if to_quote is not None else _ONE
    with localcontext() as ctx:
        ctx.prec = RATE_DIGITS
        ctx.rounding = ROUND_HALF_EVEN
        return +(to_rate / from_quote.rate)


def apply_rate(amount_minor: int, rate: Decimal, from_currency: str, to_currency: str) -> int:
    """`amount_minor` of `from_currency` times `rate`, in minor units of `to_currency`,
    rounded half to even: the one rule every conversion and its check use."""
    shift = minor_units(to_currency) - minor_units(from_currency)
    with localcontext(_exact()):
        exact = (Decimal(amount_minor) * rate).scaleb(shift)
        return int(exact.to_integral_value(rounding=ROUND_HALF_EVEN))


def convert_with(
    amount_minor: int,
    from_currency: str,
    to_currency: str,
    from_quote: Quote | None,
    to_quote: Quote | None,
    on: date,
) -> Conversion:
    """The conversion given the quotes (None for the euro side): pure, for the service and
    for property tests."""
    rate = cross_rate(from_quote, to_quote)
    quotes = [q for q in (from_quote, to_quote) if q is not None]
    return Conversion(
        amount_minor=apply_rate(amount_minor, rate, from_currency, to_currency),
        currency=to_currency,
        rate=rate,
        rate_date=min((q.rate_date for q in quotes), default=on),
        source=RateSource.ADMIN.value
        if any(q.source == RateSource.ADMIN.value for q in quotes)
        else RateSource.ECB.value,
    )


def _max_age_days() -> int:
    if has_app_context():
        return int(current_app.config.get("EXCHANGE_RATE_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS))
    return DEFAULT_MAX_AGE_DAYS


def latest_quote(currency: str, on: date, *, organisation_id: int | None = None) -> Quote | None:
    """The latest rate of `currency` on or before `on` and not older than the maximum age:
    the ECB's, or one the organisation's staff entered (which wins on the same day)."""
    oldest = on - timedelta(days=_max_age_days())
    allowed = ExchangeRate.source == RateSource.ECB.value
    if organisation_id is not None:
        allowed = or_(
            allowed,
            and_(
                ExchangeRate.source == RateSource.ADMIN.value,
                ExchangeRate.organisation_id == organisation_id,
            ),
        )
    row = db.session.execute(
        select(ExchangeRate.rate, ExchangeRate.rate_date, ExchangeRate.source)
        .where(
            ExchangeRate.currency == currency,
            ExchangeRate.rate_date <= on,
            ExchangeRate.rate_date >= oldest,
            allowed,
        )
        .order_by(
            ExchangeRate.rate_date.desc(),
            case((ExchangeRate.source == RateSource.ADMIN.value, 0), else_=1),
        )
        .limit(1)
    ).first()
    return Quote(currency, row.rate, row.rate_date, row.source) if row else None


def _quote_or_refuse(currency: str, on: date, organisation_id: int | None) -> Quote:
    quote = latest_quote(currency, on, organisation_id=organisation_id)
    if quote is None:
        raise ExchangeRateError(
            _l(
                "There is no exchange rate for %(currency)s on or up to %(days)d days before "
                "%(date)s. Import the ECB's rates or enter one by hand.",
                currency=currency,
                days=_max_age_days(),
                date=on.isoformat(),
            )
        )
    return quote


def convert(
    amount_minor: int,
    from_currency: str,
    to_currency: str,
    on: date,
    *,
    organisation_id: int | None = None,
) -> Conversion:
    """Convert `amount_minor` of `from_currency` into `to_currency` at the rates of `on` (the
    latest on or before it). `organisation_id` lets that organisation's hand-entered rates
    count. ExchangeRateError if a currency is unknown or has no usable rate."""
    try:
        check_currency(from_currency)
        check_currency(to_currency)
    except MoneyError as exc:
        raise ExchangeRateError(_l("Unknown currency.")) from exc
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise ExchangeRateError(_l("An amount is a whole number of minor units."))
    if from_currency == to_currency:
        return Conversion(amount_minor, to_currency, _ONE, on, "same")
    from_quote = (
        None if from_currency == BASE else _quote_or_refuse(from_currency, on, organisation_id)
    )
    to_quote = None if to_currency == BASE else _quote_or_refuse(to_currency, on, organisation_id)
    return convert_with(amount_minor, from_currency, to_currency, from_quote, to_quote, on)


# Rates entered by hand ----------------------------------------------------------------------


def parse_admin_rate(text: str) -> Decimal:
    """A rate typed by a person: digits with a dot or comma, positive, at most
    ADMIN_RATE_DECIMALS decimals. ExchangeRateError (field "rate") otherwise."""
    cleaned = (text or "").strip().replace(",", ".")
    try:
        rate = Decimal(cleaned)
    except InvalidOperation:
        rate = None
    if (
        rate is None
        or not rate.is_finite()
        or not cleaned.replace(".", "", 1).isdigit()
        or rate <= 0
        or rate >= ADMIN_RATE_MAX
    ):
        raise ExchangeRateError(
            _l("Enter the rate as a positive number, like 4.2870."), field="rate"
        )
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > ADMIN_RATE_DECIMALS:
        raise ExchangeRateError(
            _l("Use at most %(n)d decimal places for the rate.", n=ADMIN_RATE_DECIMALS),
            field="rate",
        )
    return rate


def enter_rate(
    organisation: Organisation,
    currency: str,
    rate_text: str,
    rate_date: date,
    *,
    actor: User,
    today: date | None = None,
) -> ExchangeRate:
    """Store the organisation's own rate for a currency on a day (units per 1 euro). Entering
    the same day again replaces it; donations already converted keep the rate they stored."""
    try:
        currency = check_currency((currency or "").strip().upper())
    except MoneyError as exc:
        raise ExchangeRateError(_l("Choose a currency."), field="currency") from exc
    if currency == BASE:
        raise ExchangeRateError(_l("The euro is the base: its rate is always 1."), field="currency")
    rate = parse_admin_rate(rate_text)
    if rate_date > (today or date.today()):
        raise ExchangeRateError(_l("A rate cannot be entered for a future day."), field="rate_date")
    row = db.session.scalars(
        select(ExchangeRate).where(
            ExchangeRate.source == RateSource.ADMIN.value,
            ExchangeRate.organisation_id == organisation.id,
            ExchangeRate.currency == currency,
            ExchangeRate.rate_date == rate_date,
        )
    ).first()
    action = "exchange_rate.corrected"
    if row is None:
        action = "exchange_rate.entered"
        row = ExchangeRate(
            currency=currency,
            rate_date=rate_date,
            source=RateSource.ADMIN.value,
            organisation_id=organisation.id,
        )
        db.session.add(row)
    row.rate = rate
    row.entered_by_id = actor.id
    db.session.flush()
    audit.record(
        action,
        actor_id=actor.id,
        organisation_id=organisation.id,
        object_type="exchange_rate",
        object_id=row.id,
        details={"currency": currency, "rate_date": rate_date.isoformat(), "rate": str(rate)},
    )
    return row

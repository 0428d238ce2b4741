"""Converting between currencies: exact examples, properties of the rounding (hypothesis), the
choice of the stored rate (latest on or before the day, not too old, the organisation's own on
the same day), refusals, and rates entered by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy import select

from ngo.audit import AuditEvent
from ngo.donations import rates
from ngo.donations.models import ExchangeRate
from ngo.donations.rates import Quote, convert, convert_with
from ngo.extensions import db
from ngo.money import minor_units
from tests import factories
from tests.conftest import login

DAY = date(2024, 5, 17)


def q(currency: str, rate: str, day: date = DAY, source: str = "ecb") -> Quote:
    return Quote(currency, Decimal(rate), day, source)


def ecb_rate(currency: str, rate: str, day: date = DAY) -> ExchangeRate:
    row = ExchangeRate(currency=currency, rate=Decimal(rate), rate_date=day, source="ecb")
    db.session.add(row)
    db.session.flush()
    return row


# Exact examples -------------------------------------------------------------------------------


def test_euro_to_zloty_at_the_published_rate():
    c = convert_with(10_000, "EUR", "PLN", None, q("PLN", "4.2608"), DAY)
    assert (c.amount_minor, c.currency, c.rate, c.rate_date, c.source) == (
        42_608,
        "PLN",
        Decimal("4.2608"),
        DAY,
        "ecb",
    )


def test_zloty_to_euro_divides_and_rounds_half_even():
    c = convert_with(10_000, "PLN", "EUR", q("PLN", "4.2608"), None, DAY)
    # 100 / 4.2608 = 23.4698...
    assert c.amount_minor == 2_347
    assert c.rate == Decimal("0.23469770935035674052")  # 1 / 4.2608 to 20 digits


def test_half_even_on_an_exact_half():
    # 1 cent at 2.5 is 2.5 grosze: to even, 2; 3 cents is 7.5: 8.
    assert convert_with(1, "EUR", "PLN", None, q("PLN", "2.5"), DAY).amount_minor == 2
    assert convert_with(3, "EUR", "PLN", None, q("PLN", "2.5"), DAY).amount_minor == 8
    assert convert_with(-3, "EUR", "PLN", None, q("PLN", "2.5"), DAY).amount_minor == -8


def test_a_cross_rate_goes_through_the_euro():
    # USD 100.00 -> GBP at 0.85578 / 1.0866 = 0.78757592490337...
    c = convert_with(10_000, "USD", "GBP", q("USD", "1.0866"), q("GBP", "0.85578"), DAY)
    assert c.rate == Decimal("0.78757592490336830480")
    assert c.amount_minor == 7_876


def test_currencies_with_other_exponents():
    # 1000 yen (no minor unit) to euro at 169.03 yen per euro: 5.916...EUR -> 592 cents.
    assert convert_with(1_000, "JPY", "EUR", q("JPY", "169.03"), None, DAY).amount_minor == 592
    # EUR 10.00 to Kuwaiti dinar (3 decimals) at 0.3337: 3.337 KWD -> 3337 fils.
    assert convert_with(1_000, "EUR", "KWD", None, q("KWD", "0.3337"), DAY).amount_minor == 3_337


def test_the_rate_date_is_the_older_of_two_and_any_hand_rate_makes_it_admin():
    c = convert_with(
        100,
        "PLN",
        "UAH",
        q("PLN", "4.26", DAY),
        q("UAH", "43.1", DAY - timedelta(days=2), "admin"),
        DAY,
    )
    assert c.rate_date == DAY - timedelta(days=2) and c.source == "admin"


# Properties ------------------------------------------------------------------------------------

CURRENCIES = ["EUR", "PLN", "USD", "GBP", "JPY", "KWD"]
rates_st = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("20000"), places=4, allow_nan=False
)
amounts = st.integers(min_value=-(10**12), max_value=10**12)


def _quote(currency: str, rate: Decimal) -> Quote | None:
    return None if currency == "EUR" else Quote(currency, rate, DAY, "ecb")


@given(amounts, st.sampled_from(CURRENCIES), st.sampled_from(CURRENCIES), rates_st, rates_st)
def test_the_amount_is_exactly_the_amount_times_the_reported_rate(a, x, y, rx, ry):
    assume(x != y)
    c = convert_with(a, x, y, _quote(x, rx), _quote(y, ry), DAY)
    exact = Fraction(a) * Fraction(c.rate) * Fraction(10) ** (minor_units(y) - minor_units(x))
    floor = exact.numerator // exact.denominator
    rest = exact - floor
    expected = floor + (1 if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2) else 0)
    assert c.amount_minor == expected
    assert abs(Fraction(c.amount_minor) - exact) <= Fraction(1, 2)


@given(amounts, st.sampled_from(CURRENCIES), st.sampled_from(CURRENCIES), rates_st, rates_st)
def test_a_refund_converts_to_the_negative_of_the_gift(a, x, y, rx, ry):
    there = convert_with(a, x, y, _quote(x, rx), _quote(y, ry), DAY)
    back = convert_with(-a, x, y, _quote(x, rx), _quote(y, ry), DAY)
    assert back.amount_minor == -there.amount_minor


@given(
    st.integers(min_value=0, max_value=10**10),
    st.integers(min_value=0, max_value=10**10),
    st.sampled_from(CURRENCIES),
    st.sampled_from(CURRENCIES),
    rates_st,
    rates_st,
)
def test_more_money_never_converts_to_less(a, b, x, y, rx, ry):
    low, high = sorted((a, b))
    c_low = convert_with(low, x, y, _quote(x, rx), _quote(y, ry), DAY)
    c_high = convert_with(high, x, y, _quote(x, rx), _quote(y, ry), DAY)
    assert c_low.amount_minor <= c_high.amount_minor


@given(st.integers(min_value=0, max_value=10**10), st.sampled_from(CURRENCIES), rates_st)
def test_there_and_back_loses_at_most_the_rounding(a, y, ry):
    """EUR -> Y -> EUR: the first rounding is at most half a minor unit of Y, worth
    1 / (2 * rate) cents after the way back, plus half a cent for the second rounding."""
    assume(y != "EUR")
    there = convert_with(a, "EUR", y, None, _quote(y, ry), DAY)
    back = convert_with(there.amount_minor, y, "EUR", _quote(y, ry), None, DAY)
    worth_of_half_a_unit = Fraction(1, 2) / Fraction(ry) * 10 ** (2 - minor_units(y))
    assert abs(back.amount_minor - a) <= worth_of_half_a_unit + Fraction(1, 2) + Fraction(1, 10**6)


# Stored rates ----------------------------------------------------------------------------------


def test_convert_uses_the_latest_rate_on_or_before_the_day(app):
    ecb_rate("PLN", "4.30", DAY - timedelta(days=3))
    ecb_rate("PLN", "4.2608", DAY)
    ecb_rate("PLN", "9.99", DAY + timedelta(days=1))
    assert convert(10_000, "EUR", "PLN", DAY).amount_minor == 42_608
    older = convert(10_000, "EUR", "PLN", DAY - timedelta(days=1))
    assert (older.amount_minor, older.rate_date) == (43_000, DAY - timedelta(days=3))


def test_same_currency_needs_no_rate(app):
    c = convert(1_234, "PLN", "PLN", DAY)
    assert (c.amount_minor, c.rate, c.source) == (1_234, Decimal(1), "same")


def test_no_rate_is_a_clear_refusal(app):
    with pytest.raises(rates.ExchangeRateError, match="no exchange rate for PLN"):
        convert(100, "EUR", "PLN", DAY)


def test_a_rate_older_than_the_maximum_age_is_not_used(app):
    ecb_rate("PLN", "4.30", DAY - timedelta(days=11))
    with pytest.raises(rates.ExchangeRateError):
        convert(100, "EUR", "PLN", DAY)
    app.config["EXCHANGE_RATE_MAX_AGE_DAYS"] = 30
    assert convert(100, "EUR", "PLN", DAY).amount_minor == 430


@pytest.mark.parametrize(("amount", "currency"), [(100, "XYZ"), (1.5, "PLN"), (True, "PLN")])
def test_unknown_currencies_and_non_integer_amounts_are_refused(app, amount, currency):
    with pytest.raises(rates.ExchangeRateError):
        convert(amount, "EUR", currency, DAY)


def test_an_organisations_own_rate_counts_for_it_alone_and_wins_on_its_day(app, make_user):
    admin = make_user("admin")
    organisation = admin.memberships[0].organisation
    ecb_rate("PLN", "4.2608", DAY)
    rates.enter_rate(organisation, "PLN", "4.5", DAY, actor=admin, today=DAY)
    rates.enter_rate(organisation, "UAH", "43,25", DAY, actor=admin, today=DAY)
    mine = convert(10_000, "EUR", "PLN", DAY, organisation_id=organisation.id)
    assert (mine.amount_minor, mine.source) == (45_000, "admin")
    assert convert(10_000, "EUR", "PLN", DAY).amount_minor == 42_608
    assert convert(100, "EUR", "UAH", DAY, organisation_id=organisation.id).amount_minor == 4_325
    other = factories.OrganisationFactory()
    with pytest.raises(rates.ExchangeRateError):
        convert(100, "EUR", "UAH", DAY, organisation_id=other.id)


def test_entering_the_same_day_again_corrects_it_and_is_audited(app, make_user):
    admin = make_user("admin")
    organisation = admin.memberships[0].organisation
    first = rates.enter_rate(organisation, "UAH", "43.1", DAY, actor=admin, today=DAY)
    again = rates.enter_rate(organisation, "UAH", "43.2", DAY, actor=admin, today=DAY)
    assert first.id == again.id and again.rate == Decimal("43.2")
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "exchange_rate")
        .order_by(AuditEvent.seq)
    ).all()
    assert actions == ["exchange_rate.entered", "exchange_rate.corrected"]


@pytest.mark.parametrize(
    ("currency", "rate", "day", "field"),
    [
        ("PLN", "abc", DAY, "rate"),
        ("PLN", "-4.2", DAY, "rate"),
        ("PLN", "0", DAY, "rate"),
        ("PLN", "1e3", DAY, "rate"),
        ("PLN", "4.12345678901", DAY, "rate"),
        ("PLN", "NaN", DAY, "rate"),
        ("EUR", "1", DAY, "currency"),
        ("XYZ", "1", DAY, "currency"),
        ("PLN", "4.2", DAY + timedelta(days=1), "rate_date"),
    ],
)
def test_a_bad_hand_rate_is_refused_at_its_field(app, make_user, currency, rate, day, field):
    admin = make_user("admin")
    with pytest.raises(rates.ExchangeRateError) as refused:
        rates.enter_rate(
            admin.memberships[0].organisation, currency, rate, day, actor=admin, today=DAY
        )
    assert refused.value.field == field


def test_the_rate_form(app, client, make_user):
    treasurer = make_user("treasurer")
    login(client, treasurer)
    today = date.today().isoformat()
    bad = client.post(
        "/admin/exchange-rates", data={"currency": "UAH", "rate": "lots", "rate_date": today}
    )
    assert bad.status_code == 400
    assert "positive number" in bad.get_data(as_text=True)
    ok = client.post(
        "/admin/exchange-rates", data={"currency": "UAH", "rate": "45.10", "rate_date": today}
    )
    assert ok.status_code == 302
    row = db.session.scalars(select(ExchangeRate)).one()
    assert (row.currency, row.rate, row.source, row.entered_by_id) == (
        "UAH",
        Decimal("45.10"),
        "admin",
        treasurer.id,
    )


def test_caseworkers_may_not_enter_rates(app, client, make_user):
    login(client, make_user("caseworker"))
    assert client.get("/admin/exchange-rates").status_code == 403

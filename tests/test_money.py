"""Money: integer minor units plus an ISO 4217 code; parsing refuses what it would have to guess."""

from __future__ import annotations

import copy
import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest
from babel import Locale
from babel.numbers import format_currency
from hypothesis import given, settings
from hypothesis import strategies as st

from ngo.money import (
    MAX_AMOUNT_MINOR,
    Money,
    MoneyError,
    format_money,
    format_money_short,
    format_plain,
    minor_units,
    percent_of,
    sum_money,
)

# No example database: it would leave a .hypothesis folder in the working tree.
PROPERTY = settings(database=None, deadline=None, max_examples=300)
NBSP = "\u00a0"
OUR_LOCALES = ["en", "pl", "ru", "uk", "be"]
# Other groupings (hi_IN 12,34,567), symbols (de_CH 1'000), scripts and marks (ar_EG, fa).
OTHER_LOCALES = ["de_CH", "fr", "ar_EG", "hi_IN", "fa", "es_CO", "nl", "ja", "sv"]
CURRENCIES = ["EUR", "PLN", "USD", "GBP", "CHF", "UAH", "BYN", "RUB", "JPY", "KWD", "BHD"]


def eur(amount_minor: int) -> Money:
    return Money(amount_minor, "EUR")


# -- Construction ----------------------------------------------------------------------------


def test_money_holds_minor_units_and_a_code():
    money = Money(2100, "EUR")
    assert (money.amount_minor, money.currency) == (2100, "EUR")
    assert money == Money(2100, "EUR")
    assert hash(money) == hash(Money(2100, "EUR"))
    assert Money(2100, "EUR") != Money(2100, "PLN")


def test_money_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        eur(1).amount_minor = 2  # type: ignore[misc]


@pytest.mark.parametrize("currency", ["EURO", "eur", "ZZZ", "", "XXX", "XTS", None, 978])
def test_unknown_currency_is_refused(currency):
    with pytest.raises(MoneyError, match="ISO 4217") as refused:
        Money(100, currency)  # type: ignore[arg-type]
    assert refused.value.code == "unknown_currency"


def test_a_replaced_currency_still_loads():
    """Appeals stored in kuna before Croatia took the euro must stay readable."""
    assert Money(100, "HRK").currency == "HRK"


@pytest.mark.parametrize("amount", [21.0, 0.1, Decimal("21"), "2100", True, False, None, 1j])
def test_amount_must_be_a_plain_int(amount):
    with pytest.raises(MoneyError, match="must be an int") as refused:
        Money(amount, "EUR")  # type: ignore[arg-type]
    assert refused.value.code == "invalid_amount"
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [
        # Pinned: a stored amount_minor means something only together with this exponent.
        ("EUR", 2),
        ("PLN", 2),
        ("USD", 2),
        ("GBP", 2),
        ("CHF", 2),
        ("UAH", 2),
        ("BYN", 2),
        ("RUB", 2),
        ("JPY", 0),
        ("KWD", 3),
        ("BHD", 3),
    ],
)
def test_minor_units(currency, exponent):
    assert minor_units(currency) == exponent


def test_minor_units_of_an_unknown_currency():
    with pytest.raises(MoneyError):
        minor_units("ABC")


# -- Arithmetic -------------------------------------------------------------------------------


def test_addition_subtraction_negation():
    assert eur(2100) + eur(50) == eur(2150)
    assert eur(2100) - eur(2150) == eur(-50)
    assert -eur(50) == eur(-50)
    assert -eur(0) == eur(0)


def test_multiplication_by_int_only():
    assert eur(250) * 3 == eur(750)
    assert 3 * eur(250) == eur(750)
    assert eur(250) * -1 == eur(-250)


@pytest.mark.parametrize("factor", [1.5, 2.0, Decimal("1.5"), Fraction(1, 2), True])
def test_multiplication_by_float_and_friends_is_refused(factor):
    with pytest.raises(MoneyError, match="only by an int"):
        eur(250) * factor
    with pytest.raises(MoneyError, match="only by an int"):
        factor * eur(250)


def test_operations_with_plain_numbers_are_type_errors():
    with pytest.raises(TypeError):
        eur(1) + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        eur(1) * "3"  # type: ignore[operator]
    with pytest.raises(TypeError):
        eur(1) < 5  # type: ignore[operator]  # noqa: B015
    with pytest.raises(TypeError, match="unsupported operand"):
        sum([eur(1), eur(2)])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_currencies_never_mix(operation):
    with pytest.raises(MoneyError, match="EUR and PLN") as refused:
        operation(eur(100), Money(100, "PLN"))
    assert refused.value.code == "currency_mismatch"


def test_comparisons_within_a_currency():
    assert eur(1) < eur(2) <= eur(2) < eur(3)
    assert eur(3) > eur(2) >= eur(2)
    assert not eur(2) < eur(2)
    assert max(eur(5), eur(-7), eur(3)) == eur(5)
    assert sorted([eur(3), eur(-1), eur(2)]) == [eur(-1), eur(2), eur(3)]


def test_zero():
    assert Money.zero("JPY") == Money(0, "JPY")
    assert Money.zero("EUR").is_zero
    assert not eur(1).is_zero
    assert not eur(-1).is_zero
    with pytest.raises(MoneyError):
        Money.zero("NOPE")


def test_money_has_no_truth_value():
    """`if donation:` could mean "given" or "not zero"; it has to be said explicitly."""
    with pytest.raises(TypeError, match="is_zero"):
        bool(eur(0))
    with pytest.raises(TypeError):
        bool(eur(100))


def test_sum_money():
    assert sum_money([eur(100), eur(250), eur(-50)], "EUR") == eur(300)
    assert sum_money([], "PLN") == Money(0, "PLN")
    assert sum_money((eur(i) for i in range(5)), "EUR") == eur(10)
    with pytest.raises(MoneyError, match="EUR and PLN"):
        sum_money([eur(100), Money(1, "PLN")], "EUR")
    with pytest.raises(MoneyError, match="PLN and EUR"):
        sum_money([eur(100)], "PLN")
    with pytest.raises(MoneyError, match="ISO 4217"):
        sum_money([], "euro")


# -- Allocation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (100, [1, 1], [50, 50]),
        (5, [1, 1, 1, 1], [2, 1, 1, 1]),
        (1000, [3, 1], [750, 250]),
        (101, [1, 0, 1], [51, 0, 50]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (0, [2, 5], [0, 0]),
        (7, [1, 2], [2, 5]),  # 2.33 and 4.67: the larger remainder gets the unit
    ],
)
def test_allocate(total, weights, parts):
    assert eur(total).allocate(weights) == [eur(p) for p in parts]


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [1.5, 1], [True, 1]])
def test_allocate_refuses_bad_weights(weights):
    with pytest.raises(MoneyError):
        eur(100).allocate(weights)


@PROPERTY
@given(
    total=st.integers(-(10**15), 10**15),
    weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=20).filter(any),
    currency=st.sampled_from(CURRENCIES),
)
def test_allocations_add_up_to_the_total(total, weights, currency):
    money = Money(total, currency)
    parts = money.allocate(weights)
    assert len(parts) == len(weights)
    assert sum_money(parts, currency) == money
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, sum(weights))
        assert abs(part.amount_minor - exact) < 1


# -- Progress ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "percent"),
    [
        (23100, 440000, 5),  # 5.25 %
        (0, 440000, 0),
        (439999, 440000, 99),  # never 100 % before the goal is met
        (440000, 440000, 100),
        (900000, 440000, 100),
        (1, 3, 33),
        (2, 3, 66),
        (100, 0, 0),
        (0, 0, 0),
        (-100, 1000, 0),
        (100, -1000, 0),
    ],
)
def test_percent_of(part, whole, percent):
    assert percent_of(eur(part), eur(whole)) == percent


def test_percent_of_mixed_currencies():
    with pytest.raises(MoneyError):
        percent_of(eur(1), Money(2, "PLN"))


# -- Parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "amount_minor"),
    [
        ("2100", "EUR", 210000),
        ("2100.50", "EUR", 210050),
        ("2100,50", "EUR", 210050),
        ("2100.5", "EUR", 210050),
        ("2 100,50", "EUR", 210050),
        (f"2{NBSP}100,50{NBSP}€", "EUR", 210050),
        ("2\u202f100,50 €", "EUR", 210050),  # French narrow no-break space
        ("2,100.50", "EUR", 210050),
        ("2.100,50", "EUR", 210050),
        ("1,234,567", "EUR", 123456700),
        ("1.234.567", "EUR", 123456700),
        ("1 234 567", "EUR", 123456700),
        ("1,234,567.89", "EUR", 123456789),
        ("1.234.567,89", "EUR", 123456789),
        ("1'234.50", "CHF", 123450),
        ("1\u2019234.50", "CHF", 123450),
        ("€ 2100", "EUR", 210000),
        ("€2100", "EUR", 210000),
        ("2100€", "EUR", 210000),
        ("EUR 2100", "EUR", 210000),
        ("eur 2100", "EUR", 210000),
        ("2100 EUR", "EUR", 210000),
        ("  2100  ", "EUR", 210000),
        ("2 100,50 zł", "PLN", 210050),
        ("2100 PLN", "PLN", 210000),
        ("$25", "USD", 2500),
        ("100 ₽", "RUB", 10000),
        ("100 ₴", "UAH", 10000),
        ("100 Br", "BYN", 10000),
        ("0", "EUR", 0),
        ("0.01", "EUR", 1),
        ("0,5", "EUR", 50),
        ("0.500", "EUR", 50),  # a leading 0 is never a thousands group
        ("1234,500", "EUR", 123450),  # four digits before: not a thousands group
        ("10.50", "EUR", 1050),
        ("007", "EUR", 700),
        # A lone separator before three digits: thousands where a currency has no decimals...
        ("2,100", "JPY", 2100),
        ("2.100", "JPY", 2100),
        ("¥2,100", "JPY", 2100),
        ("2100", "JPY", 2100),
        ("2100.00", "JPY", 2100),  # extra decimals are fine when they are zeros
        # ... and "." is the decimal point where a currency has three decimals.
        ("1.234", "KWD", 1234),
        ("0,125", "KWD", 125),
        ("1 234,567", "KWD", 1234567),
        ("1,234.567", "KWD", 1234567),
        ("1234,567", "KWD", 1234567),
        ("12.5", "KWD", 12500),
        ("10000000000", "EUR", MAX_AMOUNT_MINOR),
    ],
)
def test_parse_accepts(text, currency, amount_minor):
    assert Money.parse(text, currency) == Money(amount_minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "code"),
    [
        # English 2,100 is two thousand; Polish, Russian... 2,100 is two point one.
        ("2,100", "EUR", "ambiguous"),
        ("2.100", "EUR", "ambiguous"),
        ("10.005", "EUR", "ambiguous"),
        ("1,234", "PLN", "ambiguous"),
        ("€ 2,100", "EUR", "ambiguous"),
        ("1,234", "KWD", "ambiguous"),
        ("1234.005", "EUR", "too_many_decimals"),
        ("0.001", "EUR", "too_many_decimals"),
        ("2100.5", "JPY", "too_many_decimals"),
        ("1.2345", "KWD", "too_many_decimals"),
        ("10000000000.01", "EUR", "too_large"),
        ("99999999999999999999999999999999", "EUR", "too_large"),
        ("-5", "EUR", "negative"),
        ("−5", "EUR", "negative"),
        ("€ -5", "EUR", "negative"),
        ("-€5", "EUR", "negative"),
        ("5-", "EUR", "negative"),
        ("(5.00)", "EUR", "negative"),
        ("", "EUR", "empty"),
        ("   ", "EUR", "empty"),
        ("€", "EUR", "empty"),
        ("1" * 65, "EUR", "too_long"),
        ("+5", "EUR", "junk"),
        ("1e3", "EUR", "junk"),
        ("NaN", "EUR", "junk"),
        ("Infinity", "EUR", "junk"),
        ("five", "EUR", "junk"),
        ("0x10", "EUR", "junk"),
        ("2100abc", "EUR", "junk"),
        ("$ 2100", "EUR", "junk"),  # another currency's symbol
        ("2100 PLN", "EUR", "junk"),
        ("2100 zł", "EUR", "junk"),
        ("€ 5 €", "EUR", "junk"),
        (".50", "EUR", "junk"),
        ("5.", "EUR", "junk"),
        ("5..0", "EUR", "junk"),
        ("5 ,00", "EUR", "junk"),
        ("2  100", "EUR", "junk"),
        ("١٢٣", "EUR", "junk"),  # Arabic-Indic digits
        ("１２３", "EUR", "junk"),  # fullwidth digits
        ("12,34,567", "EUR", "junk"),  # lakh grouping
        ("1,2345,678", "EUR", "junk"),
        ("0,123,456", "EUR", "junk"),
        ("1 234.567.89", "EUR", "junk"),
        ("1.234,56.78", "EUR", "junk"),
        ("1,234.56,78", "EUR", "junk"),
        ("1.234 567", "EUR", "junk"),  # decimal point before a thousands separator
        ("1 234'567", "EUR", "junk"),  # two kinds of thousands separators
        ("1 234.567,89", "EUR", "junk"),
    ],
)
def test_parse_refuses(text, currency, code):
    with pytest.raises(MoneyError) as refused:
        Money.parse(text, currency)
    assert refused.value.code == code, str(refused.value)


def test_parse_messages_say_what_to_type():
    with pytest.raises(MoneyError, match=r"2100 or 2\.100\? Type 2100 .* or 2\.10 if you meant"):
        Money.parse("2,100", "EUR")
    with pytest.raises(MoneyError, match="EUR has only 2 decimal places"):
        Money.parse("1234.005", "EUR")
    with pytest.raises(MoneyError, match="JPY has no decimal places"):
        Money.parse("5.5", "JPY")
    with pytest.raises(MoneyError, match="negative amounts are not accepted"):
        Money.parse("-5", "EUR")
    with pytest.raises(MoneyError, match="not an amount in EUR"):
        Money.parse("$ 5", "EUR")


@pytest.mark.parametrize("text", [21.5, 2100, Decimal("21.50"), None, b"2100"])
def test_parse_takes_text_only(text):
    with pytest.raises(MoneyError, match="must be text"):
        Money.parse(text, "EUR")  # type: ignore[arg-type]


def test_parse_checks_the_currency():
    with pytest.raises(MoneyError, match="ISO 4217"):
        Money.parse("5", "euro")


# -- Plain text round trip --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (eur(210050), "2100.50"),
        (eur(5), "0.05"),
        (eur(0), "0.00"),
        (eur(-150), "-1.50"),
        (Money(2100, "JPY"), "2100"),
        (Money(1250, "KWD"), "1.250"),
        (Money(7, "KWD"), "0.007"),
    ],
)
def test_format_plain(money, text):
    assert format_plain(money) == text


amounts = st.builds(
    Money,
    amount_minor=st.integers(0, MAX_AMOUNT_MINOR),
    currency=st.sampled_from(CURRENCIES),
)


@PROPERTY
@given(amounts)
def test_plain_text_round_trips(money):
    assert Money.parse(format_plain(money), money.currency) == money


@PROPERTY
@given(amounts, st.sampled_from(OUR_LOCALES), st.booleans())
def test_parse_never_misreads_what_babel_writes(money, locale, short):
    """Text copied from our own pages is read back exactly, or refused as ambiguous
    ("€4,400" in English), never read as another amount."""
    text = (format_money_short if short else format_money)(money, locale)
    try:
        parsed = Money.parse(text, money.currency)
    except MoneyError as refused:
        assert refused.code == "ambiguous", text
    else:
        assert parsed == money, text


@PROPERTY
@given(
    st.builds(
        Money,
        amount_minor=st.integers(0, MAX_AMOUNT_MINOR),
        currency=st.sampled_from(["EUR", "CHF", "JPY"]),  # EUR and CHF are € and CHF everywhere
    ),
    st.sampled_from(["de", "fr", "nl", "es", "it", "de_CH", "en_IN"]),
    st.booleans(),
)
def test_other_european_conventions_are_not_misread(money, locale, short):
    """German "2.100 €" or Swiss "CHF 2'100" typed by a colleague: exact or refused."""
    text = (format_money_short if short else format_money)(money, locale)
    try:
        parsed = Money.parse(text, money.currency)
    except MoneyError as refused:
        assert refused.code in {"ambiguous", "junk"}, text  # junk: Indian lakh grouping
    else:
        assert parsed == money, text


def test_full_format_of_our_locales_always_reads_back():
    for locale in OUR_LOCALES:
        for money in [eur(210050), Money(440000, "PLN"), Money(2100, "JPY"), Money(1234567, "KWD")]:
            assert Money.parse(format_money(money, locale), money.currency) == money


# -- Display ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "money", "text"),
    [
        ("en", eur(210050), "€2,100.50"),
        ("en", eur(210000), "€2,100.00"),
        ("en", Money(210050, "PLN"), "PLN2,100.50"),
        ("en", Money(2100, "JPY"), "¥2,100"),
        ("en", Money(1234567, "KWD"), "KWD1,234.567"),
        ("en", eur(-150), "-€1.50"),
        ("en", eur(0), "€0.00"),
        ("pl", eur(210050), f"2{NBSP}100,50{NBSP}€"),
        ("pl", Money(210050, "PLN"), f"2{NBSP}100,50{NBSP}zł"),
        ("pl", Money(2100, "JPY"), f"2{NBSP}100{NBSP}JPY"),
        ("pl", Money(1234567, "KWD"), f"1{NBSP}234,567{NBSP}KWD"),
        ("pl", eur(-150), f"-1,50{NBSP}€"),
        ("ru", eur(210050), f"2{NBSP}100,50{NBSP}€"),
        ("ru", Money(210050, "PLN"), f"2{NBSP}100,50{NBSP}PLN"),
        ("ru", Money(2100, "JPY"), f"2{NBSP}100{NBSP}¥"),
        ("ru", Money(1234567, "KWD"), f"1{NBSP}234,567{NBSP}KWD"),
        ("uk", eur(210050), f"2{NBSP}100,50{NBSP}EUR"),
        ("uk", Money(210050, "PLN"), f"2{NBSP}100,50{NBSP}PLN"),
        ("uk", Money(2100, "JPY"), f"2{NBSP}100{NBSP}¥"),
        ("uk", Money(1234567, "KWD"), f"1{NBSP}234,567{NBSP}KWD"),
        ("be", eur(210050), f"2{NBSP}100,50{NBSP}€"),
        ("be", Money(210050, "PLN"), f"2{NBSP}100,50{NBSP}PLN"),
        ("be", Money(2100, "JPY"), f"2{NBSP}100{NBSP}¥"),
        ("be", Money(1234567, "KWD"), f"1{NBSP}234,567{NBSP}KWD"),
    ],
)
def test_format_money(locale, money, text):
    assert format_money(money, locale) == text


@pytest.mark.parametrize(
    ("locale", "money", "text"),
    [
        ("en", eur(23100), "€231"),
        ("en", eur(440000), "€4,400"),
        ("en", eur(23150), "€231.50"),  # cents are kept, not rounded away
        ("en", Money(440000, "PLN"), "PLN4,400"),
        ("en", Money(2100, "JPY"), "¥2,100"),
        ("en", Money(1234000, "KWD"), "KWD1,234"),
        ("en", Money(1234500, "KWD"), "KWD1,234.500"),
        ("en", eur(0), "€0"),
        # Babel groups four-digit numbers in Polish too (CLDR's minimumGroupingDigits is not
        # applied), so 4 400 with a no-break space.
        ("pl", eur(23100), f"231{NBSP}€"),
        ("pl", eur(440000), f"4{NBSP}400{NBSP}€"),
        ("pl", eur(23150), f"231,50{NBSP}€"),
        ("pl", Money(23100, "PLN"), f"231{NBSP}zł"),
        ("pl", Money(440000, "PLN"), f"4{NBSP}400{NBSP}zł"),
        ("pl", Money(2100, "JPY"), f"2{NBSP}100{NBSP}JPY"),
        ("ru", eur(440000), f"4{NBSP}400{NBSP}€"),
        ("ru", Money(440000, "PLN"), f"4{NBSP}400{NBSP}PLN"),
        ("uk", eur(440000), f"4{NBSP}400{NBSP}EUR"),
        ("uk", Money(440000, "PLN"), f"4{NBSP}400{NBSP}PLN"),
        ("be", eur(440000), f"4{NBSP}400{NBSP}€"),
        ("be", Money(440000, "PLN"), f"4{NBSP}400{NBSP}PLN"),
        ("be", Money(1234000, "KWD"), f"1{NBSP}234{NBSP}KWD"),
    ],
)
def test_format_money_short(locale, money, text):
    assert format_money_short(money, locale) == text


@PROPERTY
@given(
    locale=st.sampled_from([*OUR_LOCALES, *OTHER_LOCALES]),
    currency=st.sampled_from(CURRENCIES),
    amount_minor=st.integers(min_value=-(10**13), max_value=10**13),
)
def test_formats_are_babels_format_currency(locale, currency, amount_minor):
    """The patterns are built once per locale and currency; the text must stay exactly what
    `babel.numbers.format_currency` writes, call after call, in any order."""
    money = Money(amount_minor, currency)
    assert format_money(money, locale) == format_currency(
        money.to_decimal(), currency, locale=locale
    )
    short = copy.copy(Locale.parse(locale).currency_formats["standard"])
    short.frac_prec = (0, 0)
    expected = (
        format_money(money, locale)
        if amount_minor % 10 ** minor_units(currency)
        else format_currency(
            money.to_decimal(), currency, format=short, locale=locale, currency_digits=False
        )
    )
    assert format_money_short(money, locale) == expected


EDGES = [0, 1, 99, 100, 999, 1000, 99_999, 100_000, 123_456_789, 10**7, 10**12]


def test_formats_match_babel_at_every_grouping_edge():
    for locale in [*OUR_LOCALES, *OTHER_LOCALES]:
        for currency in CURRENCIES:
            for amount in [*EDGES, *(-a for a in EDGES if a)]:
                money = Money(amount, currency)
                expected = format_currency(money.to_decimal(), currency, locale=locale)
                assert format_money(money, locale) == expected, (locale, currency, amount)


def test_progress_line():
    raised, goal = eur(23100), eur(440000)
    line = f"{format_money_short(raised, 'en')} of {format_money_short(goal, 'en')}"
    assert line == "€231 of €4,400"
    assert percent_of(raised, goal) == 5


def test_format_takes_a_babel_locale():
    assert format_money(eur(210050), Locale.parse("pl")) == f"2{NBSP}100,50{NBSP}€"
    assert format_money_short(eur(23100), Locale("pl")) == f"231{NBSP}€"


def test_format_without_locale_outside_flask_is_english():
    assert format_money(eur(210050)) == "€2,100.50"
    assert format_money_short(eur(440000)) == "€4,400"


def test_format_without_locale_follows_the_request(app):
    with app.test_request_context("/", headers={"Accept-Language": "pl"}):
        assert format_money(eur(210050)) == f"2{NBSP}100,50{NBSP}€"
        assert format_money_short(eur(440000)) == f"4{NBSP}400{NBSP}€"


def test_format_without_locale_in_an_app_context_uses_the_default(app):
    assert format_money(eur(210050)) == "€2,100.50"

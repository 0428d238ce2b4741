"""Dates of birth, in numeric orders and with month names in the languages of our pages.

Month names come from Babel's CLDR data for the five UI languages (en, pl, be, ru, uk) and
German and French (languages of host countries): wide and abbreviated, in the format context
(genitive: "12 kwietnia", "12 апреля") and the stand-alone one (nominative: "kwiecień").
"""

from __future__ import annotations

import functools
import re
from datetime import date

from babel.dates import get_month_names

from ngo.campaigns.safety.matchers.patterns import RegexMatcher

MONTH_LOCALES = ("en", "pl", "be", "ru", "uk", "de", "fr")
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_NO_DIGIT_BEFORE = r"(?<!\d)(?<!\d[.,])"  # not part of 3.12.04.1979 or a version number
_NO_DIGIT_AFTER = r"(?!\d)(?![.,]\d)"


@functools.cache
def month_names(month: int) -> tuple[str, ...]:
    """Every CLDR name of the month in MONTH_LOCALES, without a trailing dot, longest first."""
    found: set[str] = set()
    for locale in MONTH_LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                name = get_month_names(width, context, locale)[month]
                found.add(name.rstrip(".").lower())
    return tuple(sorted(found, key=lambda n: (-len(n), n)))


# Between the digits of one number: a split by markup or spacing ("19 79", "1*2", "19 - 79"),
# not the dots and slashes that separate day, month and year.
_IN_NUMBER = r"[\s*_·'|\-]{0,3}"
# Between the letters of a month name split on purpose ("kwi etnia", "A-p-r").
_IN_WORD = r"[\s*_·'|\-/.]{0,2}"


# A letter O for a zero, l or I for a one.
_LOOKALIKE = {"0": "[0Oo]", "1": "[1lI]"}


def _digits(digits: str) -> str:
    return _IN_NUMBER.join(_LOOKALIKE.get(d, d) for d in digits)


def _number(n: int) -> str:
    return f"(?:{_LOOKALIKE['0']}{_IN_NUMBER})?{n}" if n < 10 else _digits(str(n))


def date_patterns(born: date) -> list[re.Pattern[str]]:
    """12.04.1979, 12/04/1979, 1979-04-12, 12.4.79, 79-04-12, 04/12/1979 (US), 12 IV 1979,
    12041979, 19790412, 12 April 1979, 12 kwietnia 1979, 12 апреля 1979 года, April 12, 1979,
    12th of April 1979, 1979 April 12."""
    d, m = _number(born.day), _number(born.month)
    y4, y2 = _digits(str(born.year)), _digits(f"{born.year % 100:02d}")
    dd, mm = _digits(f"{born.day:02d}"), _digits(f"{born.month:02d}")
    year = rf"(?:{y4}|'?{y2})"
    # Markup left in the source may surround a separator: "12**.** 04. 1979".
    sep = r"[\s./\-*_]{1,7}"
    tight = r"[\s*_]{0,3}[./\-][\s./\-*_]{0,5}"  # two-digit years only with punctuation

    names = "|".join(_IN_WORD.join(re.escape(c) for c in n) for n in month_names(born.month))
    month = rf"(?<![^\W\d_])(?:{names})\.?(?![^\W\d_])"
    ordinal = r"(?:st|nd|rd|th|-?(?:го|е|ого|ga|go))?"
    text_sep = r"[\s.,/\-|*_·']*"
    roman = _ROMAN[born.month - 1]
    sources = [
        rf"{d}{sep}{m}{sep}{y4}",
        rf"{d}{tight}{m}{tight}{y2}",
        rf"{m}{sep}{d}{sep}{y4}",
        rf"{m}{tight}{d}{tight}{y2}",
        rf"{y4}{sep}{m}{sep}{d}",
        rf"{y2}{tight}{mm}{tight}{dd}",
        rf"{dd}{mm}{y4}",
        rf"{y4}{mm}{dd}",
        rf"{mm}{dd}{y4}",
        rf"{d}{text_sep}(?<![^\W\d_]){roman}(?![^\W\d_]){text_sep}{year}",
        rf"{d}{ordinal}{text_sep}(?:of\s+)?{month}{text_sep}{year}",
        rf"{month}{text_sep}{d}{ordinal}{text_sep}{year}",
        rf"{y4}{text_sep}{month}{text_sep}{d}",
    ]
    return [
        re.compile(_NO_DIGIT_BEFORE + source + _NO_DIGIT_AFTER, re.IGNORECASE) for source in sources
    ]


def date_matcher(kind: str, raw: str) -> RegexMatcher | None:
    try:
        born = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    # Every pattern holds the year, in two digits at least.
    return RegexMatcher(kind, date_patterns(born), f"{born.year % 100:02d}", "digits")

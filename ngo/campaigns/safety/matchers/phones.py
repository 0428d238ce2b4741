"""Phone numbers: the stored number normalised by `phonenumbers`, found in text in any shape.

The stored number is parsed with its own + or 00 prefix, else in the regions our beneficiaries
live in (DEFAULT_REGIONS); that gives the country code, the national significant number and
the region's trunk prefix. The text is searched for the national number with any separators
between the digits (spaces, dashes, dots, brackets, slashes, markup left in the source),
optionally preceded by +CC, 00CC, the bare country code or a trunk prefix (0, or 8 / 8 0 in
Belarus and Russia), and not inside a longer number. Digits in other scripts and full-width
digits are ASCII by then (normalise); a letter O for a zero or l/I for a one is accepted too.

phonenumbers' own PhoneNumberMatcher is not used for the text: it needs the region of every
number, does not accept separators such as "*" or "_", and is much slower on long texts.
"""

from __future__ import annotations

import re

import phonenumbers

from ngo.campaigns.safety.matchers.patterns import DIGIT_SEPARATOR, RegexMatcher

DEFAULT_REGIONS = ("PL", "BY", "LT", "UA", "DE", "GE")
_LOOKALIKE_DIGITS = {"0": "[0OoОо]", "1": "[1lI]"}
# An opening bracket takes the spaces after it, never the ones before: a finding starts where
# the number as written starts.
_INTERNATIONAL = r"(?:\(\s*)?(?:\+|00|810|011)\s*\(?\s*"
# Too short to tell from other numbers (amounts, years, postcodes).
_MIN_DIGITS = 6


def _parse(raw: str) -> phonenumbers.PhoneNumber | None:
    text = raw.strip()
    candidates: list[phonenumbers.PhoneNumber] = []
    for region in (None, *DEFAULT_REGIONS):
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
        candidates.append(number)
    possible = [n for n in candidates if phonenumbers.is_possible_number(n)]
    return possible[0] if possible else None


def _body(national: str) -> str:
    parts = [re.escape(national[0])]
    parts += [_LOOKALIKE_DIGITS.get(d, re.escape(d)) for d in national[1:]]
    return DIGIT_SEPARATOR.join(parts)


def _pattern(national: str, prefixes: list[str]) -> re.Pattern[str]:
    prefix = "(?:" + "|".join(prefixes) + r")[\s\-.]{0,3}"
    return re.compile(rf"(?<![\d+])(?:{prefix})?{_body(national)}(?!\d)")


def phone_matcher(kind: str, raw: str) -> RegexMatcher | None:
    number = _parse(raw)
    if number is None:
        return _unparsed(kind, raw)
    national = phonenumbers.national_significant_number(number)
    if len(national) < _MIN_DIGITS:
        return None
    country = str(number.country_code)
    region = phonenumbers.region_code_for_number(number)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region) if region else None
    trunks = {"0"}
    if metadata is not None and metadata.national_prefix:
        trunks |= {metadata.national_prefix, metadata.national_prefix + r"\s*0"}
    prefixes = [
        rf"{_INTERNATIONAL}{country}\s*\)?",
        country,
        r"(?:\(\s*)?(?:" + "|".join(sorted(trunks)) + r")\s*\)?",
    ]
    return RegexMatcher(kind, [_pattern(national, prefixes)], national, "digits")


def _unparsed(kind: str, raw: str) -> RegexMatcher | None:
    """A number phonenumbers cannot make sense of: its digits, the country code unknown, so
    each split of an international number into a 1-3 digit code and the rest is tried."""
    digits = re.sub(r"\D", "", raw)
    international = raw.lstrip().startswith(("+", "00"))
    if raw.lstrip().startswith("00"):
        digits = digits[2:]
    splits = [(digits[:n], digits[n:]) for n in (1, 2, 3)] if international else [("", digits)]
    patterns = []
    needle = ""
    for country, national in splits:
        national = national.lstrip("0")
        if len(national) < _MIN_DIGITS:
            continue
        prefixes = [rf"{_INTERNATIONAL}\d{{1,3}}\s*\)?", r"\(?0\)?"]
        if country:
            prefixes.append(re.escape(country))
        patterns.append(_pattern(national, prefixes))
        needle = national  # the shortest split's national number is in every longer one
    return RegexMatcher(kind, patterns, needle, "digits") if patterns else None

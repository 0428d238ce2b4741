"""Bank-transfer reference codes: what a donor types into the transfer title, and how the
statement importer finds it again inside whatever else the bank put there.

A code looks like ``9357-T4VW``: seven random characters and one check character, shown in two
groups of four so that a person can read it out and type it.

*Neutral.* The code names nothing: no appeal, no person, no cause, no organisation. It is the
only thing a donor's bank statement (read by whoever watches it) says about the gift. The
alphabet has **no vowels** (A, E, I, O, U and Y, which is a vowel in Polish), so a random code
cannot spell a word in English, Polish or in a transliteration of Belarusian, Russian or
Ukrainian: no accidental slogan, name or insult.

*Unambiguous.* No 0/O, 1/I/L; and because a code is also read off paper and typed on phones,
only one side of each pair that handwriting and small fonts confuse: 2 but not Z, 5 but not S,
6 but not G, 8 but not B. What is left is 23 characters: the digits 2-9 and the consonants
C D F H J K M N P Q R T V W X. Lower case is accepted when reading.

*The check character.* 23 is a prime, so the characters can be taken as the numbers 0-22 and
the check is a weighted sum modulo 23 with the weights 1, 2, 4, 8, ... (powers of two, counted
from the last character): the construction of ISO 7064's "pure" systems (MOD 11-2, MOD 37-2)
applied to an alphabet of prime size, so that the check character is one more character of the
same alphabet (MOD 37-2 needs a 37th symbol, "*"). The sum of a valid code, check included, is
0 modulo 23. Because 23 is prime and every weight is non-zero, **every single-character
substitution** changes the sum; because 2 has order 11 modulo 23, the eight weights of a code
are all different, so **every swap of two characters** (adjacent or not) changes it too.
We did not take ISO 7064 MOD 37-36 (it needs all of 0-9A-Z, including the ambiguous 0/O and
1/I/L), nor Damm's algorithm (it needs a quasigroup table of the alphabet's order; over a prime
field this weighted sum *is* the Damm-style construction x*y = 2x + y, with its guarantees and
no table).

Seven random characters give 23**7 (about 3.4 billion, 31.7 bits) codes: unique per pending
donation is the caller's job (a unique column and a retry), and a transfer whose title happens
to contain some other valid code matches nothing unless a pending donation has that code and
that exact amount.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789CDFHJKMNPQRTVWX"
RANDOM_LENGTH = 7
CODE_LENGTH = RANDOM_LENGTH + 1
GROUP = 4
_MODULUS = len(ALPHABET)  # 23, a prime
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# Spaces, line breaks and dashes a bank or a donor may put inside a code; any other character
# ends a run of candidate characters.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_]+")
_NOT_CODE = re.compile(rf"[^{ALPHABET}]+")


def _weighted_sum(values: list[int]) -> int:
    # Horner's rule: ((v0 * 2 + v1) * 2 + v2) ..., i.e. v_i weighted by 2**(n-1-i).
    total = 0
    for value in values:
        total = (total * 2 + value) % _MODULUS
    return total


def check_character(body: str) -> str:
    """The check character of seven code characters (upper case, from `ALPHABET`)."""
    values = [_VALUE[c] for c in body]
    # Appending c makes the sum 2*s + c; it is 0 for c = -2*s.
    return ALPHABET[(-2 * _weighted_sum(values)) % _MODULUS]


def generate_reference() -> str:
    """A new random code, formatted for people (``9357-T4VW``)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return format_reference(body + check_character(body))


def format_reference(code: str) -> str:
    """``9357t4vw`` -> ``9357-T4VW``; the input must be the code's eight characters."""
    compact = normalise_reference(code)
    if compact is None:
        raise ValueError("not a reference code")
    return "-".join(compact[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalise_reference(text: str) -> str | None:
    """The compact upper-case form of a code as typed (spaces, dashes, any case), or None if
    it is not exactly one code with a valid check character."""
    compact = _SEPARATORS.sub("", text).upper()
    if len(compact) != CODE_LENGTH or _NOT_CODE.search(compact):
        return None
    if _weighted_sum([_VALUE[c] for c in compact]) != 0:
        return None
    return compact


def is_valid_reference(text: str) -> bool:
    return normalise_reference(text) is not None


def find_references(text: str) -> list[str]:
    """Every valid code inside a longer remittance text, formatted, first occurrence first.

    Tolerates spaces, dashes and line breaks inside a code and any case ("ref 9357 t4vw",
    "9357-\\nT4VW"), as banks wrap titles at fixed widths and donors type what they like. Only
    codes whose check character is valid are returned. A code is looked for as a word of its
    own first (not glued to letters or digits on either side); only if no such code is there
    are eight characters inside longer words tried ("ref9357T4VW"). Those may pass the check
    by chance (1 in 23), which is harmless: a code only ever matches a pending donation that
    has it *and* the same amount.
    """
    runs: list[list[tuple[str, int]]] = [[]]
    for position, char in enumerate(text):
        upper = char.upper()
        if upper in _VALUE:
            runs[-1].append((upper, position))
        elif not _SEPARATORS.fullmatch(char):
            runs.append([])

    def word_edge(position: int) -> bool:
        return not (0 <= position < len(text) and text[position].isalnum())

    as_words: dict[str, None] = {}
    inside_words: dict[str, None] = {}
    for run in runs:
        for start in range(len(run) - CODE_LENGTH + 1):
            window = run[start : start + CODE_LENGTH]
            compact = "".join(c for c, _ in window)
            if _weighted_sum([_VALUE[c] for c in compact]) != 0:
                continue
            formatted = format_reference(compact)
            if word_edge(window[0][1] - 1) and word_edge(window[-1][1] + 1):
                as_words.setdefault(formatted, None)
            else:
                inside_words.setdefault(formatted, None)
    return list(as_words or inside_words)

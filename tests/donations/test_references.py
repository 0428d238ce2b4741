"""Bank-transfer reference codes: neutral, unambiguous, check-protected, found in any text."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ngo.donations.references import (
    ALPHABET,
    CODE_LENGTH,
    check_character,
    find_references,
    format_reference,
    generate_reference,
    is_valid_reference,
    normalise_reference,
)

bodies = st.text(alphabet=ALPHABET, min_size=CODE_LENGTH - 1, max_size=CODE_LENGTH - 1)
codes = bodies.map(lambda body: body + check_character(body))
# Remittance text as donors and banks write it: any letters, digits, punctuation, line breaks.
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120)


def test_a_generated_code_is_two_groups_of_four_from_the_alphabet():
    for _ in range(200):
        code = generate_reference()
        assert re.fullmatch(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", code)
        assert is_valid_reference(code)


def test_the_alphabet_has_no_ambiguous_character_and_no_vowel():
    assert len(ALPHABET) == len(set(ALPHABET)) == 23
    assert (
        not set(ALPHABET) & set("0O1IL")
        and not set(ALPHABET) & set("ZSGB")
        and not set(ALPHABET) & set("AEIOUY")
    )


def test_codes_are_random():
    assert len({generate_reference() for _ in range(500)}) == 500


@given(code=codes, before=texts, after=texts, data=st.data())
@settings(max_examples=300)
def test_every_code_is_found_inside_random_text(code, before, after, data):
    # Spaces, dashes and line breaks inside, any case, as banks wrap and donors type.
    typed = ""
    for char in code:
        typed += data.draw(st.sampled_from(["", "", "", " ", "-", "\n", "\r\n", " - "]))
        typed += data.draw(st.sampled_from([char, char.lower()]))
    found = find_references(f"{before} {typed} {after}")
    assert format_reference(code) in found


@given(code=codes, position=st.integers(0, CODE_LENGTH - 1), replacement=st.sampled_from(ALPHABET))
@settings(max_examples=500)
def test_a_single_changed_character_is_rejected(code, position, replacement):
    assume(code[position] != replacement)
    changed = code[:position] + replacement + code[position + 1 :]
    assert not is_valid_reference(changed)
    assert find_references(f"Darowizna, tytul: {changed}; dziekuje") == []


@given(code=codes, i=st.integers(0, CODE_LENGTH - 1), j=st.integers(0, CODE_LENGTH - 1))
def test_swapping_any_two_different_characters_is_rejected(code, i, j):
    assume(code[i] != code[j])
    chars = list(code)
    chars[i], chars[j] = chars[j], chars[i]
    assert not is_valid_reference("".join(chars))


def test_references_inside_long_remittance_text():
    text = (
        "PRZELEW PRZYCHODZACY Darowizna na pomoc dla rodziny, ref 9357-T4\n"
        "VW bardzo dziekujemy; druga wplata q99f 7vqj; nie kod: 9357-T4VX"
    )
    assert find_references(text) == ["9357-T4VW", "Q99F-7VQJ"]


def test_only_characters_of_the_alphabet_are_codes():
    assert find_references("0O1I-L2Z5 8BSG-AEIU 9357/T4VW") == []


@pytest.mark.parametrize("typed", ["9357T4VW", "9357-t4vw", " 9357 T4VW ", "9357\u2013T4VW"])
def test_normalise_accepts_what_a_person_types(typed):
    assert normalise_reference(typed) == "9357T4VW"


@pytest.mark.parametrize("typed", ["", "9357-T4V", "9357-T4VWX", "9357-T4VX", "9357.T4VW"])
def test_normalise_refuses_what_is_not_one_valid_code(typed):
    assert normalise_reference(typed) is None
    with pytest.raises(ValueError):
        format_reference(typed)

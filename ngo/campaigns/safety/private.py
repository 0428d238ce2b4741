"""Which of a beneficiary's data is private, given what they consented to show."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ngo.campaigns.safety.values import (
    CITY,
    DATE_OF_BIRTH,
    EMAIL,
    HOUSEHOLD_NAME,
    LEGAL_NAME,
    LEGAL_SURNAME,
    MESSENGER,
    PHONE,
    PrivateValue,
)
from ngo.campaigns.safety.words import comparison_skeletons, name_words
from ngo.cases.models.consent import ConsentItem

if TYPE_CHECKING:
    from ngo.cases.models import Beneficiary


def private_values_of(
    beneficiary: Beneficiary,
    consented: frozenset[ConsentItem],
    extra: Iterable[PrivateValue] = (),
) -> list[PrivateValue]:
    """Everything about this person that the public page may not show, given the consents.

    The legal name: a word of it that is not part of the public name (surname, patronymic,
    a second first name) is always private, as `legal_surname`; a word shared with the public
    name is allowed only while PUBLIC_NAME is consented (else it is private as `legal_name`).
    The whole legal name is private unless every word of it is in the consented public name.
    Household first names are private unless FAMILY_DETAILS is consented, the city unless CITY
    is. `extra` is what staff add by hand: street addresses, document numbers, other names.
    """
    values: list[PrivateValue] = []
    name_allowed = ConsentItem.PUBLIC_NAME in consented
    public_keys: set[str] = set()
    for word in name_words(beneficiary.public_name or ""):
        public_keys |= comparison_skeletons(word)
    legal_words = name_words(beneficiary.legal_name or "")
    shared = [bool(comparison_skeletons(w) & public_keys) for w in legal_words]
    for word, in_public in zip(legal_words, shared, strict=True):
        if not in_public:
            values.append(PrivateValue(LEGAL_SURNAME, word))
        elif not name_allowed:
            values.append(PrivateValue(LEGAL_NAME, word))
    if len(legal_words) >= 2 and not (name_allowed and all(shared)):
        values.append(PrivateValue(LEGAL_NAME, " ".join(legal_words)))

    if beneficiary.date_of_birth is not None:
        values.append(PrivateValue(DATE_OF_BIRTH, beneficiary.date_of_birth.isoformat()))
    for kind, raw in (
        (PHONE, beneficiary.phone),
        (EMAIL, beneficiary.email),
        (MESSENGER, beneficiary.messenger),
    ):
        if raw and raw.strip():
            values.append(PrivateValue(kind, raw.strip()))
    if ConsentItem.FAMILY_DETAILS not in consented:
        for member in beneficiary.household:
            if member.first_name and member.first_name.strip():
                values.append(PrivateValue(HOUSEHOLD_NAME, member.first_name.strip()))
    if ConsentItem.CITY not in consented and (beneficiary.city_of_residence or "").strip():
        values.append(PrivateValue(CITY, (beneficiary.city_of_residence or "").strip()))
    values.extend(v for v in extra if v.value and v.value.strip())

    unique: list[PrivateValue] = []
    for value in values:
        if value not in unique:
            unique.append(value)
    return unique

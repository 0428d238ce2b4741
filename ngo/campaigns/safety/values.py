"""What the check looks for and what it reports: kinds, private values, findings.

Private values and findings exist only in memory. Both dataclasses leave the sensitive field out
of their repr, so an accidental `log.info(finding)` or a traceback does not print it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# Kinds of private values.
LEGAL_SURNAME = "legal_surname"
LEGAL_NAME = "legal_name"
DATE_OF_BIRTH = "date_of_birth"
PHONE = "phone"
EMAIL = "email"
MESSENGER = "messenger"
STREET_ADDRESS = "street_address"
HOUSEHOLD_NAME = "household_name"
DOCUMENT_NUMBER = "document_number"
CITY = "city"
# Kinds of image findings.
IMAGE_METADATA = "image_metadata"
IMAGE_UNREADABLE = "image_unreadable"

CONTEXT_CHARS = 40

_LABELS = {
    LEGAL_SURNAME: _l("legal surname"),
    LEGAL_NAME: _l("legal name"),
    DATE_OF_BIRTH: _l("date of birth"),
    PHONE: _l("phone number"),
    EMAIL: _l("e-mail address"),
    MESSENGER: _l("messenger handle"),
    STREET_ADDRESS: _l("street address"),
    HOUSEHOLD_NAME: _l("name of a family member"),
    DOCUMENT_NUMBER: _l("document number"),
    CITY: _l("city"),
    IMAGE_METADATA: _l("hidden image data"),
    IMAGE_UNREADABLE: _l("unreadable image"),
}


def describe(kind: str) -> str:
    """A short human label of a kind ("legal surname", "phone number"), in the current locale,
    for CLI and staff output. It names the kind of value only, never the value."""
    label = _LABELS.get(kind)
    return str(label) if label is not None else kind.replace("_", " ")


@dataclass(frozen=True)
class PrivateValue:
    """One thing about the person that must not be published; held in memory only."""

    kind: str
    value: str = dataclasses.field(repr=False)


@dataclass(frozen=True)
class Finding:
    """A private value (or image metadata) found in a public field.

    `start`/`end` index the text as given to `scan_texts`, i.e. as its author wrote it (0, 0 for
    images). `context` is the surrounding source text with the match marked [[like this]]: it
    repeats the private value, so it is for the publication screen and the operator's terminal
    only, never for logs, audit details, e-mails or exceptions.
    """

    kind: str
    field: str
    start: int
    end: int
    context: str = dataclasses.field(repr=False)

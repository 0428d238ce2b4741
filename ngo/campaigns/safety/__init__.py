"""The publication safety check: no private value may reach a public page.

The people in our appeals fled a state that still watches them; their relatives at home can be
targeted through what a page reveals. So before anything is published every public text
(title, summary, story, translations, budget labels, captions, update titles and bodies, the
slug) is searched for the person's private values, and every photo for embedded metadata (a GPS
position, a camera serial number, a date).

The search reads what a reader gets, not the source (reader: the rendered page and the source
as the API serves it), normalised (normalise: invisible characters out, NFKC, digits of any
script, look-alike letters folded, separators between letters removed in a second copy), and
finds a value in every form it takes (matchers: names and places in any script and inflected
form, morphology and places; phones through phonenumbers; e-mail obfuscations; dates with
month names from CLDR). It is deliberately generous: a false alarm costs a member of staff a
minute; a leak can cost a relative their freedom.

Private values and findings exist only in memory. Nothing here logs them, and neither may a
caller: a finding's `context` holds the private value and is shown to staff only.
"""

from ngo.campaigns.safety.images import scan_image
from ngo.campaigns.safety.private import private_values_of
from ngo.campaigns.safety.scan import check_publication, scan_texts
from ngo.campaigns.safety.values import (
    CITY,
    CONTEXT_CHARS,
    DATE_OF_BIRTH,
    DOCUMENT_NUMBER,
    EMAIL,
    HOUSEHOLD_NAME,
    IMAGE_METADATA,
    IMAGE_UNREADABLE,
    LEGAL_NAME,
    LEGAL_SURNAME,
    MESSENGER,
    PHONE,
    STREET_ADDRESS,
    Finding,
    PrivateValue,
    describe,
)

__all__ = [
    "CITY",
    "CONTEXT_CHARS",
    "DATE_OF_BIRTH",
    "DOCUMENT_NUMBER",
    "EMAIL",
    "HOUSEHOLD_NAME",
    "IMAGE_METADATA",
    "IMAGE_UNREADABLE",
    "LEGAL_NAME",
    "LEGAL_SURNAME",
    "MESSENGER",
    "PHONE",
    "STREET_ADDRESS",
    "Finding",
    "PrivateValue",
    "check_publication",
    "describe",
    "private_values_of",
    "scan_image",
    "scan_texts",
]

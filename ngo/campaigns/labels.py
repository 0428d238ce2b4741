"""Words for the appeals' codes, in the reader's language: one place for staff and public."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ngo.campaigns.models import Category
from ngo.cases.forms_stories import CHECK_LABELS

CATEGORY_LABELS = {
    Category.POLITICAL_PRISONERS: _l("Political prisoners"),
    Category.FAMILIES: _l("Families"),
    Category.MEDICAL: _l("Medical care"),
    Category.LEGAL: _l("Legal help"),
    Category.RELOCATION: _l("Relocation"),
    Category.EDUCATION: _l("Education and retraining"),
}

CONCERN_KIND_LABELS = {
    "fraud": _l("I think this appeal may be a fraud"),
    "personal_data": _l("The page shows personal details that should not be public"),
    "other": _l("Something else"),
}

# The verification checks an appeal's badge names (the cases domain's words for them): the
# public side reads them here, never from cases.
VERIFICATION_CHECK_LABELS = CHECK_LABELS

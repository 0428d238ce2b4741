"""Words for the appeals' codes, in the reader's language: one place for staff and public."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ngo.campaigns.models import Category

CATEGORY_LABELS = {
    Category.POLITICAL_PRISONERS: _l("Political prisoners"),
    Category.FAMILIES: _l("Families"),
    Category.MEDICAL: _l("Medical care"),
    Category.LEGAL: _l("Legal help"),
    Category.RELOCATION: _l("Relocation"),
    Category.EDUCATION: _l("Education and retraining"),
}

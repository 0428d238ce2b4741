"""Words for the appeals' codes, in the reader's language: one place for staff and public."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ngo.campaigns.models import AllocationRule, Category, OverfundingPolicy
from ngo.cases.forms_stories import CHECK_LABELS

CATEGORY_LABELS = {
    Category.POLITICAL_PRISONERS: _l("Political prisoners"),
    Category.FAMILIES: _l("Families"),
    Category.MEDICAL: _l("Medical care"),
    Category.LEGAL: _l("Legal help"),
    Category.RELOCATION: _l("Relocation"),
    Category.EDUCATION: _l("Education and retraining"),
}

# Staff choose these; the approver reads them in the review's changes.
ALLOCATION_RULE_LABELS = {
    AllocationRule.PRIORITY: _l("Essential lines first, in order of priority"),
    AllocationRule.PRO_RATA: _l("Shared among the lines in proportion to what each still needs"),
}
OVERFUNDING_POLICY_LABELS = {
    OverfundingPolicy.STOP: _l("Stop accepting gifts once the essential lines are funded"),
    OverfundingPolicy.STRETCH: _l(
        "Go on into the stretch lines, and stop once every line is funded"
    ),
    OverfundingPolicy.GENERAL_FUND: _l(
        "Go on into the stretch lines, then pass further gifts to the organisation's general fund"
    ),
}
# What the public appeal page says, in plain words, about where a gift goes.
ALLOCATION_RULE_PUBLIC = {
    AllocationRule.PRIORITY: _l(
        "A gift for the whole appeal funds the essential lines first, in order of priority."
    ),
    AllocationRule.PRO_RATA: _l(
        "A gift for the whole appeal is shared among the lines in proportion to what each "
        "still needs, the essential lines first."
    ),
}
OVERFUNDING_POLICY_PUBLIC = {
    OverfundingPolicy.STOP: _l(
        "Once the essential lines are funded this appeal stops accepting gifts."
    ),
    OverfundingPolicy.STRETCH: _l(
        "Once the essential lines are funded, gifts go to the stretch lines; once every line "
        "is funded this appeal stops accepting gifts."
    ),
    OverfundingPolicy.GENERAL_FUND: _l(
        "Once every line is funded, further gifts go to the organisation's general fund, "
        "for its other work with people in need."
    ),
}

CONCERN_KIND_LABELS = {
    "fraud": _l("I think this appeal may be a fraud"),
    "personal_data": _l("The page shows personal details that should not be public"),
    "other": _l("Something else"),
}

# The verification checks an appeal's badge names (the cases domain's words for them): the
# public side reads them here, never from cases.
VERIFICATION_CHECK_LABELS = CHECK_LABELS

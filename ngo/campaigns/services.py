"""The verbs of the appeals domain in one place, for views, tasks, commands and tests: drafting
and budgets (campaigns.appeals), review and the publication gate (campaigns.publication), and
what erasure does to an appeal (campaigns.erasure). The rules live in those modules."""

from __future__ import annotations

from ngo.campaigns.appeals import (
    EDITABLE,
    VISIBLE,
    Totals,
    add_budget_line,
    appeals_of_case,
    begin_edit,
    create_appeal,
    refuse_unless_editable,
    remove_budget_line,
    set_translation,
    totals,
)
from ngo.campaigns.erasure import erase_public_copies
from ngo.campaigns.errors import AppealError
from ngo.campaigns.publication import (
    Problem,
    approval_refusal,
    approve_and_publish,
    is_publicly_visible,
    public_texts,
    publication_problems,
    return_to_draft,
    submit_for_review,
)

__all__ = [
    "EDITABLE",
    "VISIBLE",
    "AppealError",
    "Problem",
    "Totals",
    "add_budget_line",
    "appeals_of_case",
    "approval_refusal",
    "approve_and_publish",
    "begin_edit",
    "create_appeal",
    "erase_public_copies",
    "is_publicly_visible",
    "public_texts",
    "publication_problems",
    "refuse_unless_editable",
    "remove_budget_line",
    "return_to_draft",
    "set_translation",
    "submit_for_review",
    "totals",
]

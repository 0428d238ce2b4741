"""The refusals of the cases domain, and the rule every change to a case starts with, in a
module of their own: services, stories, evidence, consent and rights raise them without
importing each other."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ngo.cases.models import Beneficiary
from ngo.rules import RuleError


class CaseError(RuleError):
    """A rule of cases was broken."""


def refuse_erased(beneficiary: Beneficiary) -> None:
    """An erased case keeps its reference and history only: nothing of it changes again."""
    if beneficiary.erased_at is not None:
        raise CaseError(_l("This case was erased; it cannot be changed."))

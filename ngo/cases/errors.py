"""The refusal of the cases domain."""

from __future__ import annotations

from ngo.rules import RuleError


class CaseError(RuleError):
    """A rule of cases was broken."""

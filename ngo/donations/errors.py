"""The refusals of the treasury's services: safe to show, never repeating a personal value."""

from __future__ import annotations

from ngo.rules import RuleError


class GiftError(RuleError):
    """A gift entered by hand that cannot be recorded, approved or rejected as asked."""


class ReallocationError(RuleError):
    """Money that cannot be moved as asked."""


class DonorRightsError(RuleError):
    """A donor's export or erasure that cannot be done as asked."""

"""The refusals of the campaigns domain, in a module of their own so that every part of it
(services, review, updates, cover) can raise them without importing the others."""

from __future__ import annotations

from ngo.rules import RuleError


class AppealError(RuleError):
    """A rule of appeals was broken."""

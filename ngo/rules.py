"""The one exception type services raise when a rule is broken."""

from __future__ import annotations


class RuleError(Exception):
    """A rule was broken. The message is safe to show to the user: it never repeats personal
    values. `field` names the form field it belongs to, if any."""

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field

"""The one exception type services raise when a rule is broken."""

from __future__ import annotations

from typing import Any


class RuleError(Exception):
    """A rule was broken. The message is safe to show to the user: it never repeats personal
    values. `field` names the form field it belongs to, if any."""

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


def show_on_form(form: Any, exc: RuleError) -> None:
    """Put a service's refusal next to the form field it is about, or above the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))

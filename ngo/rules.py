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


def show_on_form(form: Any, exc: RuleError, fallback: str | None = None) -> None:
    """Put a service's refusal next to the form field it is about, else at the `fallback`
    field, else above the form.

    The refusal's `field` names a field of the form, or a field of a subform as
    "<field>-<subfield>" (the story verification's "identity-evidence"), as WTForms names them
    in the page."""
    target = _field(form, exc.field) if exc.field else None
    if target is None and fallback is not None:
        target = getattr(form, fallback, None)
    if target is not None:
        target.errors = [*target.errors, str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))


def _field(form: Any, name: str) -> Any:
    found = getattr(form, name, None)
    if found is None:
        outer, _sep, inner = name.partition("-")
        subform = getattr(getattr(form, outer, None), "form", None)
        found = getattr(subform, inner, None) if inner and subform is not None else None
    return found

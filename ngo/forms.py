"""What views need of every form: a message at a field, and the value a validator required."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from wtforms import Field

T = TypeVar("T")


def add_error(field: Field, message: str) -> None:
    """Show `message` at `field`. Its errors are a tuple until the form is validated."""
    field.errors = [*field.errors, message]


def given(value: T | None) -> T:
    """`value`, which the caller knows is there: a form field that DataRequired or
    InputRequired has checked, the user of a successful sign-in. WTForms types every field's
    data as Optional; a None here is a bug, so it fails loudly instead of reaching a service."""
    if value is None:
        raise TypeError("a value that must be present is missing")
    return value

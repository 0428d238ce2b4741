"""Request-side glue for the policy: the acting membership, login loading and view guards."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from ngo.accounts import policy
from ngo.accounts.models import Membership, User
from ngo.accounts.policy import Action
from ngo.extensions import db

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M")


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader (registered by accounts.init_app)."""
    user_part, _, version = user_id.partition(":")
    if not (user_part.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_part))
    if user is None or not user.is_active or user.session_version != int(version):
        return None  # password changed, locked or 2FA reset: every old session ends
    return user


def current_membership() -> Membership | None:
    if "membership" not in g:
        g.membership = (
            policy.choose_membership(current_user, session.get("org_id"))
            if current_user.is_authenticated
            else None
        )
    return g.membership


def acting_membership() -> Membership:
    """The acting membership in a view behind staff_required, which has refused every request
    without one: None here is a bug, so it fails loudly."""
    membership = current_membership()
    if membership is None:
        raise RuntimeError("acting_membership() is for views behind staff_required")
    return membership


def needs_enrolment() -> bool:
    return policy.must_use_second_factor(current_user) and not current_user.has_second_factor


def staff_required(action: Action) -> Callable[[F], F]:
    """Signed in, enrolled in 2FA where required, and allowed `action` in the acting org."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
            if needs_enrolment():
                return redirect(url_for("accounts.enrol_second_factor"))
            if not policy.may(current_membership(), action):
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def allow_larger_body(limit: int, action: Action, target: object | None) -> None:
    """Let this request's body be up to `limit` bytes, but only for a signed-in user who may do
    `action` to `target` (a record loaded in the acting organisation's scope, or None if there
    is none). Everyone else keeps the small default, so that nobody can make a worker read a
    file-sized body on a route they may not use. Call it from a URL value preprocessor: those
    run before CSRF protection parses the form, and it answers 413 at the parse."""
    if target is None or not current_user.is_authenticated or needs_enrolment():
        return
    if policy.may(current_membership(), action, target):
        request.max_content_length = limit


def find_in_organisation(
    model: type[M], key: int | str, *criteria: Any, by: Any = None
) -> M | None:
    """The record of the acting organisation that `key` names, or None: its id for an int,
    else the column the model names as its `lookup_key` (a case's reference, an appeal's
    slug), or the column `by`. `criteria` narrow it further (the case an item belongs to).
    A key longer than its column is refused unread."""
    membership = current_membership()
    if membership is None:
        return None
    column = by if by is not None else _key_column(model, key)
    length = getattr(column.type, "length", None)
    if isinstance(key, str) and length is not None and len(key) > length:
        return None
    organisation_column: Any = getattr(model, "organisation_id")  # noqa: B009  (any model)
    stmt = policy.scope(
        select(model).where(column == key, *criteria), membership, organisation_column
    )
    return db.session.scalars(stmt).first()


def load_in_organisation(
    model: type[M], key: int | str, action: Action, *criteria: Any, by: Any = None
) -> M:
    """The one way a staff view loads a record by what its URL names (see find_in_organisation).

    Another organisation's record is a 404, exactly as if it did not exist, so that ids and
    references cannot be probed across organisations; a record of the acting organisation
    that the role may not `action` is a 403 (nothing is revealed that the user's own
    organisation does not already show them)."""
    record = find_in_organisation(model, key, *criteria, by=by)
    if record is None:
        abort(404)
    if not policy.may(current_membership(), action, record):
        abort(403)
    return record


def _key_column(model: type[Any], key: int | str) -> Any:
    if isinstance(key, int):
        return model.id
    name = getattr(model, "lookup_key", None)
    if name is None:
        raise TypeError(f"{model.__name__} has no lookup_key: load it by id, or say `by`")
    return getattr(model, name)

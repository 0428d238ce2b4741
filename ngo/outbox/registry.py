"""Which function runs each kind of message, filled by each domain's init_app.

A handler that knows a failure is final raises `PermanentError` (ngo.mail raises its
subclass `PermanentDeliveryError` for a 5xx refusal); `register_handler(...,
on_permanent_failure=fn)` lets the domain record it on its own record (the donation, the
follower) in the same commit that marks the message dead (ngo/outbox/delivery.py). Any other
exception counts as transient (a lost connection, a lock timeout) and is retried until
MAX_ATTEMPTS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from ngo.outbox.state import PermanentError

Handler = Callable[[dict[str, Any]], None]
PermanentErrorHandler = Callable[[dict[str, Any], PermanentError], None]
# The keys of app.extensions; tests reach the handler table under the first.
_HANDLERS = "ngo.outbox_handlers"
_ON_PERMANENT = "ngo.outbox_permanent_failure_handlers"


def init_app(app: Flask) -> None:
    """An empty registry on the app, before any domain registers its kinds."""
    app.extensions.setdefault(_HANDLERS, {})
    app.extensions.setdefault(_ON_PERMANENT, {})


def register_handler(
    app: Flask,
    kind: str,
    handler: Handler,
    *,
    on_permanent_failure: PermanentErrorHandler | None = None,
) -> None:
    """Name the function the worker runs for messages of `kind`; a domain calls it from its
    init_app for each kind it enqueues. `on_permanent_failure(payload, failure)` runs in the
    commit that marks such a message dead: the place to note a refused address."""
    handlers: dict[str, Handler] = app.extensions.setdefault(_HANDLERS, {})
    if handlers.get(kind, handler) is not handler:
        raise ValueError(f"outbox kind {kind!r} already has another handler")
    handlers[kind] = handler
    if on_permanent_failure is not None:
        app.extensions.setdefault(_ON_PERMANENT, {})[kind] = on_permanent_failure


def handlers() -> dict[str, Handler]:
    """The current app's handlers by kind."""
    return current_app.extensions.get(_HANDLERS, {})


def permanent_failure_handler(kind: str) -> PermanentErrorHandler | None:
    """What the domain of `kind` records when such a message fails for good, if anything."""
    return current_app.extensions.get(_ON_PERMANENT, {}).get(kind)

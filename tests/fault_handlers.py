"""An outbox handler that always raises, as a PDF render that fails would: registered in the
test's app and in the fault tests' worker (tests/fault_worker.py)."""

from __future__ import annotations

from typing import Any

RENDER_FAILS = "tests.render_fails"


def render_fails(payload: dict[str, Any]) -> None:
    # The text names a person, as a real exception's might: it must reach no page or log.
    raise RuntimeError(f"rendering failed for Alesia Kowalczyk, payload {payload}")

"""The periodic schedule run by `celery -A worker beat`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def beat_schedule(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        # Hands to the broker whatever the immediate dispatch after a commit could not.
        "relay-outbox": {
            "task": "outbox.relay",
            "schedule": float(config["OUTBOX_RELAY_SECONDS"]),
        },
        # Expired listings are hidden at once by their end date; this tidies the stored flag
        # and lists appeals published before the flag existed.
        "reconcile-appeal-listings": {
            "task": "campaigns.reconcile_listings",
            "schedule": 3600.0,
        },
    }

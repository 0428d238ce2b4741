"""The periodic schedule run by `celery -A worker beat`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from celery.schedules import crontab


def beat_schedule(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        # Hands to the broker whatever the immediate dispatch after a commit could not.
        "relay-outbox": {
            "task": "outbox.relay",
            "schedule": float(config["OUTBOX_RELAY_SECONDS"]),
        },
        # Expired listings are hidden at once by their end date; this tidies the stored flag
        # and lists appeals published before the flag existed.
        # Signs the audit log's head, so that cutting off its newest events shows (an hour at
        # most of events after the newest checkpoint can go unnoticed; see ngo/audit.py).
        "write-audit-checkpoint": {
            "task": "audit.write_checkpoint",
            "schedule": 3600.0,
        },
        # The same for the donations ledger (ngo/donations/ledger.py).
        "write-ledger-checkpoint": {
            "task": "ledger.write_checkpoint",
            "schedule": 3600.0,
        },
        # Funders' portfolio reports: every complete month or quarter not yet reported. Hourly,
        # so a report is made within the hour after its due day begins; a beat down over the
        # due date catches up at its first run, once (ngo/reports/funders/schedule.py).
        "schedule-funder-reports": {
            "task": "funders.schedule_reports",
            "schedule": 3600.0,
        },
        "reconcile-appeal-listings": {
            "task": "campaigns.reconcile_listings",
            "schedule": 3600.0,
        },
        # The ECB publishes its reference rates once a working day, around 16:00 CET; storing
        # them is idempotent, and each failed fetch is shown on the exchange rates page.
        "fetch-ecb-rates": {
            "task": "donations.fetch_ecb_rates",
            "schedule": 4 * 3600.0,
        },
        # Donors' annual receipts for the year before, from 2 January at 06:00 UTC. Every day
        # of January from then, so that a beat down on the 2nd sends them when it is back;
        # the task asks only for those not sent yet (ngo/reports/receipts/annual.py).
        "send-annual-receipts": {
            "task": "reports.send_annual_receipts",
            "schedule": crontab(minute="0", hour="6", day_of_month="2-31", month_of_year="1"),
        },
    }

"""Background work of the donations domain, run by beat (worker/beat.py)."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app
from sqlalchemy import select

from ngo.chained_log import ChainError
from ngo.donations import ecb
from ngo.donations.ledger import LEDGER_LOG
from ngo.donations.models import RateFetchFailure
from ngo.extensions import db
from ngo.unit_of_work import transaction

log = logging.getLogger(__name__)


@shared_task(name="ledger.write_checkpoint")
def write_ledger_checkpoint_task() -> int | None:
    """Hourly from beat: signs the ledger's head, so that cutting off its newest transactions
    shows; the line also goes to the log, one more copy out of the database's reach."""
    try:
        with transaction():
            row = LEDGER_LOG.write_checkpoint(only_if_moved=True)
            checkpoint = row.as_checkpoint() if row is not None else None
    except ChainError as exc:
        log.error("ledger checkpoint refused, run `flask --app ngo ledger verify`: %s", exc)
        raise
    if checkpoint is None:
        return None
    log.info("ledger checkpoint %s", checkpoint.to_line())
    return int(checkpoint.seq)


# The rates page shows the newest failures; older ones are kept this many.
FAILURES_KEPT = 200


def record_fetch_failure(url: str, reason: str, detail: str) -> RateFetchFailure:
    """Note a failed fetch where staff see it (the exchange rates page); the caller commits."""
    failure = RateFetchFailure(url=url[:500], reason=reason[:20], detail=detail[:500])
    db.session.add(failure)
    db.session.flush()
    stale = db.session.scalars(
        select(RateFetchFailure.id).order_by(RateFetchFailure.id.desc()).offset(FAILURES_KEPT)
    ).all()
    for failure_id in stale:
        db.session.delete(db.session.get(RateFetchFailure, failure_id))
    return failure


def fetch_ecb_rates(url: str) -> ecb.ImportResult | None:
    """Fetch and store the ECB's daily rates in one transaction; on any failure store nothing
    of the file and record the failure instead (in its own transaction). None on failure."""
    try:
        data = ecb.download(url)
        with transaction():
            return ecb.import_reference_rates(data)
    except ecb.EcbFetchError as exc:
        reason, detail = exc.reason, exc.detail
    except ecb.EcbFormatError as exc:
        reason, detail = "malformed", str(exc)
    log.warning("ECB rates not fetched (%s): %s", reason, detail)
    with transaction():
        record_fetch_failure(url, reason, detail)
    return None


@shared_task(name="donations.fetch_ecb_rates")
def fetch_ecb_rates_task() -> dict[str, object]:
    """From beat, a few times a day (the ECB publishes around 16:00 CET on working days);
    storing is idempotent, so a second run the same day changes nothing.
    NGO_ECB_RATES_URL=off turns fetching off where there is no network."""
    url = str(current_app.config.get("ECB_RATES_URL") or "")
    if not url:
        return {"fetched": False, "reason": "disabled"}
    result = fetch_ecb_rates(url)
    if result is None:
        return {"fetched": False, "reason": "failed"}
    return {
        "fetched": True,
        "stored": result.stored,
        "already_stored": result.already_stored,
        "latest": result.latest.isoformat() if result.latest else None,
    }

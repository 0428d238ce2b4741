"""Background work of the donations domain."""

from __future__ import annotations

import logging

from celery import shared_task

from ngo.chained_log import ChainError
from ngo.donations.ledger import LEDGER_LOG
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

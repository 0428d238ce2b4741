"""Background work of the funders' reports, run by beat (worker/beat.py)."""

from __future__ import annotations

from celery import shared_task

from ngo.reports.funders.schedule import schedule_due_reports


@shared_task(name="funders.schedule_reports")
def schedule_funder_reports_task() -> int:
    """Hourly from beat: a delivery for every complete period not yet reported (one each,
    however many runs overlap or were missed); the outbox then makes and mails the reports."""
    return schedule_due_reports()

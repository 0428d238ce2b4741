"""A worker process compiles the receipts' templates and loads every language's data as it
starts (Celery's worker_process_init), not in its first receipts."""

from __future__ import annotations

from celery.signals import worker_process_init
from flask import current_app

from ngo.celery_app import register_warm_up
from ngo.reports.receipts import document


def _compiled(app) -> set[str]:
    return {name for _loader, name in app.jinja_env.cache}


def test_a_starting_worker_process_runs_the_warm_ups_in_the_app(app):
    seen = []
    register_warm_up(app, lambda: seen.append(current_app._get_current_object()))
    worker_process_init.send(sender=None)
    assert seen == [app]


def test_the_receipts_warm_up_compiles_their_templates(app):
    app.jinja_env.cache.clear()
    worker_process_init.send(sender=None)
    assert set(document.TEMPLATES) <= _compiled(app)

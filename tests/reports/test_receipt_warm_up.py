"""A worker process compiles the receipts' templates and loads every language's data as it
starts (Celery's worker_process_init), not in its first receipts."""

from __future__ import annotations

import gc
import weakref

import pytest
from celery.signals import worker_process_init
from flask import current_app

from ngo import celery_app
from ngo.celery_app import register_warm_up
from ngo.reports.receipts import document


@pytest.fixture
def worker_app(app, monkeypatch):
    # The app a worker process made (the test's, whatever other tests created since).
    monkeypatch.setattr(celery_app, "_worker_app", weakref.ref(app))
    yield app
    gc.unfreeze()  # the warm-up froze this test process's objects; a worker's stay frozen


def test_a_started_worker_keeps_what_it_made_out_of_the_collectors_generations(worker_app):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    worker_process_init.send(sender=None)
    assert gc.get_freeze_count() > 0


def test_a_starting_worker_process_runs_the_warm_ups_in_the_app(worker_app, monkeypatch):
    monkeypatch.setitem(worker_app.extensions, "ngo.worker_warm_ups", [])
    seen = []
    register_warm_up(worker_app, lambda: seen.append(current_app._get_current_object()))
    worker_process_init.send(sender=None)
    assert seen == [worker_app]


def test_the_receipts_warm_up_compiles_their_templates(worker_app):
    worker_app.jinja_env.cache.clear()
    worker_process_init.send(sender=None)
    compiled = {name for _loader, name in worker_app.jinja_env.cache}
    assert set(document.TEMPLATES) <= compiled

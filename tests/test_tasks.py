"""Every Celery task lives in its domain (or a core module), is named `*_task`, and is
acknowledged late, so that a worker that dies leaves it to the broker; `worker/` only boots."""

from __future__ import annotations

from pathlib import Path


def test_tasks_are_declared_in_the_package_named_and_acked_late(app):
    celery = app.extensions["celery"]
    celery.loader.import_default_modules()
    tasks = {name: task for name, task in celery.tasks.items() if not name.startswith("celery.")}
    assert {"outbox.deliver", "outbox.relay", "audit.write_checkpoint"} <= set(tasks)
    for name, task in tasks.items():
        assert task.run.__module__.startswith("ngo."), name
        assert task.run.__name__.endswith("_task"), name
        assert task.acks_late or celery.conf.task_acks_late, name
    assert celery.conf.task_acks_late and celery.conf.task_reject_on_worker_lost
    assert celery.conf.task_soft_time_limit < celery.conf.task_time_limit
    assert celery.conf.worker_prefetch_multiplier == 1


def test_the_worker_package_only_boots_celery():
    root = Path(__file__).resolve().parent.parent / "worker"
    for source in root.glob("*.py"):
        assert "shared_task" not in source.read_text() and "@celery.task" not in source.read_text()


def test_the_redis_visibility_timeout_outlasts_the_longest_retry(app):
    from ngo.celery_app import _transport_options

    options = _transport_options(app, "redis://127.0.0.1:6379/0")
    assert options["visibility_timeout"] > app.config["OUTBOX_RETRY_MAX_SECONDS"]
    assert _transport_options(app, "sqla+sqlite:///broker.sqlite") == {}

"""The Celery app lives beside the Flask app so the web process can enqueue tasks.

`worker/` only boots it; every task runs inside an application context. A domain can ask for
work done once when a worker process starts (`register_warm_up`), instead of in its first tasks.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from typing import Any

from celery import Celery, Task
from celery.signals import worker_init, worker_process_init
from flask import Flask

from ngo import broker

_WARM_UPS = "ngo.worker_warm_ups"
# The app the worker's tasks run in: the last one made in this process (worker/ makes one).
_worker_app: weakref.ref[Flask] | None = None


def register_warm_up(app: Flask, warm_up: Callable[[], None]) -> None:
    """Run `warm_up` in an application context when a worker process starts (Celery's
    worker_process_init in each prefork child, worker_init for the other pools)."""
    app.extensions.setdefault(_WARM_UPS, []).append(warm_up)


@worker_init.connect
@worker_process_init.connect
def warm_up_worker(**_signal: object) -> None:
    app = _worker_app() if _worker_app is not None else None
    if app is None:
        return
    with app.app_context():
        for warm_up in app.extensions.get(_WARM_UPS, []):
            warm_up()
    # What the process has made by now (the app, its models and statements, the templates,
    # every language's translations) lives as long as the process: out of the collector's
    # generations, a full collection during a task no longer walks it all.
    gc.freeze()


def celery_init_app(app: Flask) -> Celery[Task[Any, Any]]:
    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app: Celery[Task[Any, Any]] = Celery(app.name, task_cls=FlaskTask)
    broker_url = str(app.config["CELERY_BROKER_URL"])
    celery_app.conf.update(
        broker_url=broker_url,
        broker_transport=_transport(broker_url),
        broker_transport_options=_transport_options(app, broker_url),
        task_ignore_result=True,
        task_always_eager=app.config["CELERY_TASK_ALWAYS_EAGER"],
        task_eager_propagates=True,
        # Acknowledged when done, not when taken: a task whose worker dies (SIGKILL, a lost
        # machine, the hard time limit) goes back to the broker instead of being lost. Every
        # task is idempotent (the outbox's claim, the checkpoints' "only if moved").
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # The soft limit raises SoftTimeLimitExceeded inside the task, which the outbox records
        # as a transient failure; the hard limit kills the process if that did not stop it.
        task_soft_time_limit=app.config["TASK_SOFT_TIME_LIMIT"],
        task_time_limit=app.config["TASK_TIME_LIMIT"],
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        # A web request that commits while the broker is down tries once, briefly, and moves
        # on: the outbox row is written and beat's relay hands it over later.
        task_publish_retry_policy={
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.2,
        },
        timezone="UTC",
        enable_utc=True,
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    global _worker_app
    _worker_app = weakref.ref(app)
    return celery_app


def _redis(broker_url: str) -> bool:
    return broker_url.startswith(("redis://", "rediss://"))


def _transport(broker_url: str) -> str | None:
    """kombu's transport for the URL's scheme, but Redis's with one client per channel."""
    return broker.TRANSPORT if _redis(broker_url) else None


def _transport_options(app: Flask, broker_url: str) -> dict[str, object]:
    if not _redis(broker_url):
        return {}
    return {
        # A task taken and never acknowledged (its worker died) is handed out again after this.
        "visibility_timeout": app.config["BROKER_VISIBILITY_TIMEOUT"],
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }

"""The Celery app of the fault tests (`celery -A tests.fault_worker worker`): the real one from
worker/__init__.py, with one more outbox kind whose handler always raises."""

from ngo import outbox
from tests.fault_handlers import RENDER_FAILS, render_fails
from worker import celery, flask_app

outbox.register_handler(flask_app, RENDER_FAILS, render_fails)

__all__ = ["celery", "flask_app"]

"""Boots Celery for `celery -A worker worker` and `celery -A worker beat`.

The Celery app is the one create_app configured, so every task runs inside an application
context with the same settings as the web process.
"""

from ngo import create_app
from worker.beat import beat_schedule

flask_app = create_app()
celery = flask_app.extensions["celery"]
celery.conf.beat_schedule = beat_schedule(flask_app.config)
celery.conf.beat_schedule_filename = f"{flask_app.instance_path}/celerybeat-schedule"

__all__ = ["celery", "flask_app"]

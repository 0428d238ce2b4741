"""ngo as deployed plus one bench-only route, the baseline of bench/donation_webhooks.py.

`POST /bench/insert-one` inserts one row into `provider_events` (the table every webhook event
is first recorded in: provider, a fresh event id, type) through ngo's unit of work, with the
webhook's CSRF exemption and rate limit, and answers a small JSON body. It runs in the same
gunicorn process as `POST /webhooks/stripe`, so both pay the same app, middleware and database
costs, and the ratio says what confirming a gift adds to one insert. ngo itself has no such
route. Run by gunicorn as `webhook_app:app` from bench/.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, jsonify
from werkzeug.wrappers import Response

from ngo import create_app
from ngo.donations.models import ProviderEvent
from ngo.extensions import csrf, db, limiter

bench = Blueprint("bench", __name__)


@bench.post("/bench/insert-one")
@limiter.limit(lambda: str(current_app.config["WEBHOOK_RATE_LIMIT"]))
def insert_one() -> tuple[Response, int]:
    db.session.add(ProviderEvent(provider="bench", event_id=uuid.uuid4().hex, type="bench"))
    db.session.flush()  # the unit of work commits after the view, as for every request
    return jsonify(received=True), 200


csrf.exempt(bench)
app = create_app()
app.register_blueprint(bench)

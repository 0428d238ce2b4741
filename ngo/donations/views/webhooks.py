"""Stripe's webhook: POST /webhooks/stripe.

The signature is checked with the library's own `stripe.WebhookSignature.verify_header` and
the endpoint's secret before anything is read; an unsigned, forged or expired event (older than
the library's five-minute tolerance) is a 400 with a JSON error and changes nothing. A
verified event is applied by `donations.stripe_events` and answered with JSON: 200 when
applied, already seen (a replay) or not about a gift; 409 when it is about a payment not
confirmed yet, or a rule refuses it for now (no exchange rate stored yet), and Stripe retries;
422 when it cannot be applied as it stands. Anything but a 2xx rolls the request back, so a
retried event starts from nothing.

No address, user agent or card detail is stored: the event is recorded by id and type only.
CSRF does not apply (Stripe signs instead); the rate limit
(NGO_WEBHOOK_RATE_LIMIT) is generous, for Stripe's bursts.
"""

from __future__ import annotations

import json

import stripe
from flask import Blueprint, current_app, jsonify, request
from werkzeug.wrappers import Response

from ngo.donations import stripe_events
from ngo.extensions import csrf, limiter
from ngo.rules import RuleError

bp = Blueprint("donations_webhooks", __name__)

MAX_PAYLOAD_BYTES = 512 * 1024
TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE  # five minutes


def _answer(status: int, **body: object) -> tuple[Response, int]:
    return jsonify(body), status


@bp.post("/webhooks/stripe")
@csrf.exempt
@limiter.limit(lambda: str(current_app.config["WEBHOOK_RATE_LIMIT"]))
def stripe_webhook() -> tuple[Response, int]:
    secret = str(current_app.config.get("STRIPE_WEBHOOK_SECRET") or "")
    if not secret:
        return _answer(404, error="online giving is not configured")
    if (request.content_length or 0) > MAX_PAYLOAD_BYTES:
        return _answer(413, error="payload too large")
    payload = request.get_data(cache=False)
    try:
        # The library's check and tolerance, as its construct_event runs them, without the
        # event object it would build: the view reads the event as the JSON dict it is.
        stripe.WebhookSignature.verify_header(
            payload, request.headers.get("Stripe-Signature"), secret, TOLERANCE_SECONDS
        )
        event = json.loads(payload)
    except stripe.SignatureVerificationError:
        return _answer(400, error="invalid signature")
    except ValueError:
        return _answer(400, error="invalid payload")
    # A thin (v2) event notification is not a webhook body: construct_event refuses it too.
    if not isinstance(event, dict) or event.get("object") == "v2.core.event":
        return _answer(400, error="invalid payload")
    try:
        outcome = stripe_events.handle_event(event)
    except stripe_events.RetryLater as exc:
        return _answer(409, error="not yet", detail=str(exc))
    except RuleError as exc:
        # A rule of the confirmation refused (no exchange rate stored yet for a gift in
        # another currency): nothing is kept, and Stripe's retry may find it possible.
        current_app.logger.warning("Stripe event %s not applied yet: %s", event.get("id"), exc)
        return _answer(409, error="not yet", detail=str(exc.message))
    except stripe_events.EventError as exc:
        current_app.logger.warning("Stripe event %s refused: %s", event.get("id"), exc)
        return _answer(422, error=str(exc))
    return _answer(200, received=True, outcome=outcome)

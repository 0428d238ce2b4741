"""A local stand-in for Stripe's API, for the official `stripe` library pointed at it
(STRIPE_API_BASE): a threaded http.server that records every request (method, path, form
parameters, Idempotency-Key) and answers from objects the test put there. Checkout sessions it
creates itself, and answers a repeated Idempotency-Key with the first answer, as Stripe does.
Signed webhook payloads are built with the library's own `stripe.WebhookSignature`. Nothing
here reaches the internet."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

WEBHOOK_SECRET = "whsec_test_secret_of_the_stub"


@dataclass
class Recorded:
    method: str
    path: str
    params: list[tuple[str, str]]
    idempotency_key: str | None
    authorization: str | None

    def values(self, prefix: str) -> list[str]:
        """Every value of a form-encoded list (`payment_method_types[0]`, `[1]`...)."""
        return [v for k, v in self.params if k.startswith(prefix + "[")]

    def get(self, key: str) -> str | None:
        return next((v for k, v in self.params if k == key), None)


@dataclass
class StripeStub:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Answer the next calls to a path with this status and error body.
    failures: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.objects.clear()
            self.by_key.clear()
            self.failures.clear()

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Make `obj` what GET /v1/<its kind>/<its id> answers."""
        self.objects[obj["id"]] = obj
        return obj

    def calls(self, method: str, path_start: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_start)]

    # The server side -------------------------------------------------------------------------

    def answer(self, method: str, path: str, params: list[tuple[str, str]], key: str | None):
        with self.lock:
            for prefix, failure in self.failures.items():
                if path.startswith(prefix):
                    return failure
            if method == "POST" and path == "/v1/checkout/sessions":
                if key and key in self.by_key:
                    return 200, self.by_key[key]
                number = next(self.counter)
                session = {
                    "id": f"cs_test_{number}",
                    "object": "checkout.session",
                    "url": f"https://checkout.stripe.test/c/pay/cs_test_{number}",
                    "mode": dict(params).get("mode"),
                }
                if key:
                    self.by_key[key] = session
                return 200, session
            if method == "GET" and path == "/v1/invoice_payments":
                return 200, self._invoice_payments(dict(params))
            object_id = path.rstrip("/").split("/")[-1]
            if method == "DELETE" and path.startswith("/v1/subscriptions/"):
                found = self.objects.get(object_id)
                if found is None:
                    return _missing(object_id)
                found["status"] = "canceled"
                return 200, found
            if method == "GET" and object_id in self.objects:
                return 200, self.objects[object_id]
            return _missing(object_id)

    def _invoice_payments(self, params: dict[str, str]) -> dict[str, Any]:
        """GET /v1/invoice_payments?payment[payment_intent]=...: the stored invoices' payments
        made by that intent (or an invoice's own, with invoice=...)."""
        intent = params.get("payment[payment_intent]")
        rows = []
        for obj in self.objects.values():
            if obj.get("object") != "invoice":
                continue
            if params.get("invoice") not in (None, obj["id"]):
                continue
            for row in (obj.get("payments") or {}).get("data", []):
                if intent is None or row.get("payment", {}).get("payment_intent") == intent:
                    rows.append({**row, "id": f"inpay_{obj['id']}", "invoice": obj["id"]})
        return {"object": "list", "data": rows, "has_more": False, "url": "/v1/invoice_payments"}


def _missing(object_id: str) -> tuple[int, dict[str, Any]]:
    return 404, {
        "error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "message": f"No such object: '{object_id}'",
        }
    }


def start(stub: StripeStub) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as Stripe's API: a client keeps one connection open between calls. The
        # headers and the body leave in separate writes, so without TCP_NODELAY each answer
        # would wait for the client's delayed ACK (40 ms).
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            params = parse_qsl(split.query, keep_blank_values=True) + parse_qsl(
                body, keep_blank_values=True
            )
            key = self.headers.get("Idempotency-Key")
            stub.requests.append(
                Recorded(self.command, split.path, params, key, self.headers.get("Authorization"))
            )
            status, payload = stub.answer(self.command, split.path, params, key)
            data = json.dumps(payload).encode()
            self.send_response(status)
            if any(split.path.startswith(prefix) for prefix in stub.failures):
                # A failure the test set is answered once, not retried by the library (its
                # retries would only sleep): Stripe sends this header too.
                self.send_header("Stripe-Should-Retry", "false")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_stub_{len(stub.requests)}")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _handle  # noqa: N815  (http.server's names)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# Webhook events ---------------------------------------------------------------------------


_event_numbers = itertools.count(1)


def event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_test_{next(_event_numbers)}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def signed_post(
    client: Any,
    payload: dict[str, Any] | str,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    header: str | None = None,
) -> Any:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    if header is None:
        header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp)
    return client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )

"""Pending online gifts and Stripe's signed webhook, for the benchmarks that confirm gifts
(bench/donation_webhooks.py, bench/public_pages.py --with-donations).

Gifts are made by the donate form's own service (`giving.start_gift`, the Checkout session
recorded as the view records it) on the seed appeal; a local Stripe stub
(tests/donations/stripe_stub.py, in a child process so that it shares no GIL with the load
generator) holds each gift's payment intent, charge and balance transaction; each event is
`checkout.session.completed` signed with `stripe.WebhookSignature` and the instance's secret
when it is sent. Afterwards every gift must be confirmed with one ledger transaction and one
payment, and `flask --app ngo ledger verify` must find nothing it did not find before; then
the fees are settled as the worker settles them (the webhook no longer asks Stripe) and
both are checked again.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gunicorn_workers import HOST, REQUEST_TIMEOUT_SECONDS, _binary  # bench/ is not a package

REPO = Path(__file__).resolve().parents[1]
WEBHOOK_PATH = "/webhooks/stripe"
WEBHOOK_SECRET = "whsec_bench_" + os.urandom(12).hex()
GIFT_MINOR = 500  # 5.00 in the appeal's currency; the fee Stripe "charged" is 0.33
FEE_MINOR = 33


@dataclass(frozen=True)
class Gift:
    public_id: str
    amount_minor: int
    currency: str
    number: int

    @property
    def intent_id(self) -> str:
        return f"pi_bench_{self.number}"

    def stripe_objects(self) -> list[dict[str, Any]]:
        """The payment intent (its charge and balance transaction expanded) and the charge."""
        balance = {
            "id": f"txn_bench_{self.number}",
            "object": "balance_transaction",
            "amount": self.amount_minor,
            "currency": self.currency.lower(),
            "fee": FEE_MINOR,
            "exchange_rate": None,
            "created": int(time.time()),
        }
        charge = {
            "id": f"ch_bench_{self.number}",
            "object": "charge",
            "amount": self.amount_minor,
            "currency": self.currency.lower(),
            "payment_intent": self.intent_id,
            "payment_method_details": {"type": "card"},
            "balance_transaction": balance,
        }
        intent = {
            "id": self.intent_id,
            "object": "payment_intent",
            "amount": self.amount_minor,
            "amount_received": self.amount_minor,
            "currency": self.currency.lower(),
            "status": "succeeded",
            "metadata": {"donation": self.public_id},
            "latest_charge": charge,
        }
        return [intent, charge]

    def signed_event(self, secret: str) -> tuple[bytes, dict[str, str]]:
        """`checkout.session.completed` as Stripe sends it, signed now (the library accepts a
        signature for five minutes)."""
        import stripe

        session = {
            "id": f"cs_bench_{self.number}",
            "object": "checkout.session",
            "mode": "payment",
            "payment_status": "paid",
            "status": "complete",
            "metadata": {"donation": self.public_id},
            "payment_intent": self.intent_id,
            "subscription": None,
            "invoice": None,
            "amount_total": self.amount_minor,
            "currency": self.currency.lower(),
        }
        body = json.dumps(
            {
                "id": f"evt_bench_{self.number}",
                "object": "event",
                "type": "checkout.session.completed",
                "created": int(time.time()),
                "livemode": False,
                "data": {"object": session},
            }
        )
        header = stripe.WebhookSignature.generate_signature_header(body, secret)
        return body.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}


def add_redis_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/9",
        help="Redis database for the broker and the rate limiter, as deployed; EMPTIED before "
        "and after the run (default redis://127.0.0.1:6379/9); 'off': SQLite broker, memory "
        "limiter",
    )


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL database the run CREATES and DROPS (it must not exist), e.g. "
        "postgresql://postgres@127.0.0.1:5432/ngo_bench; default: SQLite in a temporary folder",
    )


@contextmanager
def fresh_database(url: str) -> Iterator[dict[str, str]]:
    """With a PostgreSQL URL, a new database of that name for the run, dropped afterwards;
    yields the variables that point the instance at it ({} for the SQLite default)."""
    if not url:
        yield {}
        return
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"--database-url needs a plain database name, not {name!r}")
    admin = make_url(url).set(drivername="postgresql", database="postgres")
    admin_dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": url}
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_redis(url: str) -> None:
    if url != "off":
        import redis

        redis.Redis.from_url(url).flushdb()


def limiter_url(redis_url: str) -> str:
    """The rate limiter's storage as deployed (README): Redis, public reading in batches."""
    return redis_url.replace("redis://", "ngo+redis://", 1)


def stripe_env(env: dict[str, str], redis_url: str = "off") -> dict[str, str]:
    """What the web servers need for online giving; the webhook's rate limit lifted (one
    client sends every event). With Redis, the broker that takes the receipt's outbox message
    and the limiter's storage are Redis's, as in production."""
    empty_redis(redis_url)
    services = {}
    if redis_url != "off":
        services = {"CELERY_BROKER_URL": redis_url, "RATELIMIT_STORAGE_URI": limiter_url(redis_url)}
    return {
        **env,
        **services,
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "NGO_WEBHOOK_RATE_LIMIT": "100000000 per minute",
    }


_numbers = itertools.count(1)


def make_pending(count: int) -> list[Gift]:
    """Pending online gifts to the seed appeal, through the donate form's service, each with
    its Checkout session recorded; needs the instance's variables in os.environ."""
    import secrets

    from sqlalchemy import select

    from ngo import create_app
    from ngo.campaigns.models import Appeal
    from ngo.donations import giving
    from ngo.donations.stripe_settle import record_payment
    from ngo.extensions import db
    from ngo.unit_of_work import transaction

    app = create_app()
    gifts: list[Gift] = []
    with app.app_context(), app.test_request_context():
        appeals = select(Appeal).where(Appeal.status == "published").order_by(Appeal.id)
        appeal = next(a for a in db.session.scalars(appeals) if giving.open_for_gifts(a))
        appeal_id = appeal.id
        for start in range(0, count, 200):
            with transaction() as session:
                appeal = session.get_one(Appeal, appeal_id)
                for _ in range(min(200, count - start)):
                    number = next(_numbers)
                    request = giving.GiftRequest(
                        amount_text=f"{GIFT_MINOR / 100:.2f}",
                        currency=appeal.currency,
                        line_id=None,
                        monthly=False,
                        cover_fee=False,
                        display_name="",
                        email=f"bench{number}@example.org",
                        message="",
                        wants_updates=False,
                        method=giving.ONLINE,
                        idempotency_key=secrets.token_hex(16),
                    )
                    donation = giving.start_gift(appeal, request, online_available=True)
                    record_payment(
                        donation, "checkout_session", f"cs_bench_{number}", donation.amount_minor
                    )
                    gifts.append(
                        Gift(donation.public_id, donation.amount_minor, donation.currency, number)
                    )
    return gifts


def _serve_stub(objects: list[dict[str, Any]], address: Any) -> None:
    sys.path.insert(0, str(REPO))
    from tests.donations.stripe_stub import StripeStub, start

    stub = StripeStub()
    for obj in objects:
        stub.put(obj)
    server = start(stub)
    address.send(stub.url)
    server.serve_forever()  # start() serves on a daemon thread too; this keeps the child up


@contextmanager
def stripe_stub(gifts: Sequence[Gift]) -> Iterator[str]:
    """The Stripe stub in a child process (so that it does not share the client's GIL),
    holding every gift's objects; yields its address."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    objects = [obj for gift in gifts for obj in gift.stripe_objects()]
    process = context.Process(target=_serve_stub, args=(objects, sending), daemon=True)
    process.start()
    try:
        if not receiving.poll(60):
            raise SystemExit("the Stripe stub did not start")
        yield str(receiving.recv())
    finally:
        process.terminate()
        process.join(10)


def public_site_version() -> int:
    """The version every cached public page is keyed on; a gift must not change it."""
    from ngo import create_app
    from ngo.campaigns.visibility import public_version

    with create_app().app_context():
        return public_version()[0]


def ledger_problems(env: dict[str, str]) -> tuple[int, set[str]]:
    """`flask --app ngo ledger verify`: its exit code and the differences it names."""
    result = subprocess.run(
        [_binary("flask"), "--app", "ngo", "ledger", "verify"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result.returncode, {line for line in result.stderr.splitlines() if line.strip()}


def check_confirmed(
    gifts: Sequence[Gift], env: dict[str, str], seeded: tuple[int, set[str]]
) -> list[str]:
    """Each gift confirmed, with one ledger transaction and one payment intent; the ledger
    verified by its own command, which must find nothing it did not find in the freshly
    seeded instance. Then each gift's fee settled as the worker settles it (its outbox
    message delivered here, against a Stripe stub holding the gifts' balance transactions:
    the benchmarks run no Celery worker), one fee transaction per gift, the fee the balance
    transaction's, and the ledger verified again. Returns the problems found."""
    problems = _check_gifts(gifts, fees_settled=False)
    problems += _ledger_news(env, seeded, "before the fees")
    with stripe_stub(gifts) as stub_url:
        started = time.perf_counter()
        settled = settle_fees(stub_url)
        seconds = time.perf_counter() - started
        print(f"settled {settled} fees in the worker's way in {seconds:.1f} s")
    problems += _check_gifts(gifts, fees_settled=True)
    problems += _ledger_news(env, seeded, "after the fees")
    return problems


def settle_fees(stub_url: str) -> int:
    """Deliver every fee message not sent yet, as the Celery worker would."""
    from sqlalchemy import select

    from ngo import create_app, outbox
    from ngo.donations.stripe_settle import FEE_KIND
    from ngo.extensions import db
    from ngo.outbox import OutboxMessage

    config = {"STRIPE_SECRET_KEY": "sk_test_bench", "STRIPE_API_BASE": stub_url}
    with create_app(config).app_context():
        ids = list(
            db.session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.kind == FEE_KIND, OutboxMessage.sent_at.is_(None)
                )
            )
        )
        db.session.rollback()
        return sum(1 for message_id in ids if outbox.deliver(message_id))


def _ledger_news(env: dict[str, str], seeded: tuple[int, set[str]], when: str) -> list[str]:
    code, found = ledger_problems(env)
    if code != 0 and (seeded[0] == 0 or found - seeded[1]):
        return [f"{when}: {line}" for line in sorted(found - seeded[1])[:10]] or [
            f"{when}: ledger verify exited {code}"
        ]
    return []


def _check_gifts(gifts: Sequence[Gift], *, fees_settled: bool) -> list[str]:
    from sqlalchemy import func, select

    from ngo import create_app
    from ngo.donations.models import Donation, LedgerTransaction, Payment
    from ngo.extensions import db

    problems: list[str] = []
    app = create_app()
    with app.app_context():
        session = db.session
        ids = {g.public_id for g in gifts}
        rows = session.execute(
            select(Donation.public_id, Donation.status, Donation.id, Donation.fee_minor).where(
                Donation.public_id.in_(ids)
            )
        ).all()
        by_id = {row.id: row for row in rows}
        not_confirmed = [r.public_id for r in rows if r.status != "confirmed"]
        if len(rows) != len(ids) or not_confirmed:
            problems.append(f"{len(not_confirmed)} of {len(ids)} gifts not confirmed")
        fee = FEE_MINOR if fees_settled else 0
        if any(r.fee_minor != fee for r in rows):
            problems.append(
                "a gift's fee is not the balance transaction's"
                if fees_settled
                else "a gift's fee was known before the worker asked Stripe"
            )
        one_each = [
            ("gift transaction", LedgerTransaction, LedgerTransaction.kind == "donation"),
            ("payment intent", Payment, Payment.kind == "payment_intent"),
        ]
        if fees_settled:
            one_each.append(("fee transaction", LedgerTransaction, LedgerTransaction.kind == "fee"))
        for label, model, extra in one_each:
            counts = dict(
                session.execute(
                    select(model.donation_id, func.count())
                    .where(model.donation_id.in_(by_id), extra)
                    .group_by(model.donation_id)
                ).all()
            )
            if set(counts) != set(by_id) or set(counts.values()) != {1}:
                problems.append(f"{label}: not exactly one per gift")
    return problems


@dataclass
class GiftSender:
    """Posts one gift's signed event every 1/rate seconds to `port` from a background thread
    (a small pool sends, so that a slow answer does not delay the next gift) until stopped."""

    port: int
    gifts: Iterator[Gift]
    rate: float = 10.0
    sent: list[Gift] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    active_seconds: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _post(self, gift: Gift) -> None:
        body, headers = gift.signed_event(WEBHOOK_SECRET)
        connection = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            connection.request("POST", WEBHOOK_PATH, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
        finally:
            connection.close()
        with self._lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def _run(self) -> None:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=4) as pool:
            for n in itertools.count():
                due = started + n / self.rate
                if self._stop.wait(max(0.0, due - time.perf_counter())):
                    break
                gift = next(self.gifts, None)
                if gift is None:
                    raise SystemExit("not enough pending gifts for the run")
                self.sent.append(gift)
                pool.submit(self._post, gift)
        self.active_seconds += time.perf_counter() - started

    def __enter__(self) -> GiftSender:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(REQUEST_TIMEOUT_SECONDS + 5)

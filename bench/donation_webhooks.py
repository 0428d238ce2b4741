"""Donations confirmed per second through Stripe's signed webhook, as a ratio to one insert.

A throw-away SQLite instance in production mode (as bench/gunicorn_workers.py makes it) gets
`--donations` pending online gifts to the seed appeal, made by the donate form's own service
(`giving.start_gift`, with the Checkout session recorded as the view records it). A local
Stripe stub (tests/donations/stripe_stub.py, in a child process) holds each gift's payment
intent, charge and balance transaction. One gunicorn server, 2 sync workers, serves
`bench/webhook_app.py`: ngo plus a bench-only `POST /bench/insert-one` that inserts one
`provider_events` row. `--clients` threads with keep-alive http.client post, in alternating
rounds, one `checkout.session.completed` event per gift (signed with `stripe.WebhookSignature`
and the instance's webhook secret just before its round) to `/webhooks/stripe`, and as many
inserts to the baseline route. Every answer must be a 200. Afterwards each gift must be
confirmed with exactly one ledger transaction and `flask --app ngo ledger verify` must exit 0.

    .venv/bin/python bench/donation_webhooks.py [--donations 1200] [--rounds 3] [--clients 4]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gunicorn_workers import (  # bench/ is not a package
    HOST,
    REQUEST_TIMEOUT_SECONDS,
    WorkerConfig,
    _binary,
    _production_like_env,
    prepare_instance,
    running_gunicorn,
)

REPO = Path(__file__).resolve().parents[1]
TARGET = 0.5
WEBHOOK_PATH = "/webhooks/stripe"
BASELINE_PATH = "/bench/insert-one"
WEBHOOK_SECRET = "whsec_bench_" + os.urandom(12).hex()
TWO_SYNC_WORKERS = WorkerConfig("sync, 2 workers", ("--workers", "2", "--worker-class", "sync"))
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


def empty_redis(url: str) -> None:
    if url != "off":
        import redis

        redis.Redis.from_url(url).flushdb()


def stripe_env(env: dict[str, str], redis_url: str = "off") -> dict[str, str]:
    """What the web servers need for online giving; the webhook's rate limit lifted (one
    client sends every event). With Redis, the broker that takes the receipt's outbox message
    and the limiter's storage are Redis's, as in production."""
    empty_redis(redis_url)
    services = {}
    if redis_url != "off":
        services = {"CELERY_BROKER_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url}
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
    from ngo.unit_of_work import transaction

    app = create_app()
    gifts: list[Gift] = []
    with app.app_context(), app.test_request_context():
        appeals = select(Appeal).where(Appeal.status == "published").order_by(Appeal.id)
        appeal = next(
            a
            for a in app.extensions["sqlalchemy"].session.scalars(appeals)
            if giving.open_for_gifts(a)
        )
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


def post_all(port: int, requests: Sequence[tuple[str, bytes, dict[str, str]]], clients: int):
    """`clients` threads post the requests back to back; (200 answers, other answers with
    their first statuses and bodies, seconds)."""
    work = iter(requests)
    lock = threading.Lock()
    ok = [0]
    bad: list[str] = []

    def client() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            while True:
                with lock:
                    item = next(work, None)
                if item is None:
                    return
                path, body, headers = item
                try:
                    connection.request("POST", path, body=body, headers=headers)
                    response = connection.getresponse()
                    answer = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    connection.close()
                    with lock:
                        bad.append(f"{path}: {exc!r}")
                    continue
                with lock:
                    if response.status == 200:
                        ok[0] += 1
                    else:
                        bad.append(f"{path}: {response.status} {answer[:200]!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ok[0], bad, time.perf_counter() - started


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
    seeded instance. Returns the problems found."""
    from sqlalchemy import func, select

    from ngo import create_app
    from ngo.donations.models import Donation, LedgerTransaction, Payment

    problems: list[str] = []
    app = create_app()
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
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
        if any(r.fee_minor != FEE_MINOR for r in rows):
            problems.append("a gift's fee is not the balance transaction's")
        for model, extra in (
            (LedgerTransaction, LedgerTransaction.kind == "donation"),
            (Payment, Payment.kind == "payment_intent"),
        ):
            counts = dict(
                session.execute(
                    select(model.donation_id, func.count())
                    .where(model.donation_id.in_(by_id), extra)
                    .group_by(model.donation_id)
                ).all()
            )
            if set(counts) != set(by_id) or set(counts.values()) != {1}:
                problems.append(f"{model.__tablename__}: not exactly one per gift")
    code, found = ledger_problems(env)
    if code != 0 and (seeded[0] == 0 or found - seeded[1]):
        problems += sorted(found - seeded[1])[:10] or [f"ledger verify exited {code}"]
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donations", type=int, default=1200, help="gifts, over all rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    add_redis_option(parser)
    args = parser.parse_args(argv)
    per_round = args.donations // args.rounds
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ngo-bench-") as tmp:
        workdir = Path(tmp)
        env = _production_like_env(workdir / "instance")
        prepare_instance(env)
        seeded = ledger_problems(env)
        os.environ.update(env)
        started = time.perf_counter()
        gifts = make_pending(per_round * args.rounds)
        print(f"made {len(gifts)} pending gifts in {time.perf_counter() - started:.1f} s")
        rates: dict[str, list[float]] = {"baseline": [], "webhook": []}
        failures: list[str] = []
        with stripe_stub(gifts) as stub_url:
            server_env = {**stripe_env(env, args.redis), "STRIPE_API_BASE": stub_url}
            with running_gunicorn(
                TWO_SYNC_WORKERS, server_env, workdir, "webhook_app:app", REPO / "bench", "/"
            ) as port:
                warm = [(BASELINE_PATH, b"{}", {"Content-Type": "application/json"})] * 20
                post_all(port, warm, args.clients)
                for round_index in range(args.rounds):
                    batch = gifts[round_index * per_round : (round_index + 1) * per_round]
                    order = (
                        ("baseline", "webhook") if round_index % 2 == 0 else ("webhook", "baseline")
                    )
                    for side in order:
                        if side == "webhook":
                            requests = [
                                (WEBHOOK_PATH, *g.signed_event(WEBHOOK_SECRET)) for g in batch
                            ]
                        else:
                            requests = [
                                (BASELINE_PATH, b"{}", {"Content-Type": "application/json"})
                            ] * len(batch)
                        ok, bad, seconds = post_all(port, requests, args.clients)
                        rates[side].append(ok / seconds)
                        failures += bad
        problems = check_confirmed(gifts, env, seeded)
        empty_redis(args.redis)
    report(args, per_round, rates, failures, problems, load_before)
    if seeded[0] != 0:
        print(
            f"(ledger verify exits {seeded[0]} on the freshly seeded demo instance already, "
            f"{len(seeded[1])} differences of seed-demo's own; the run added none)"
        )
    return 1 if failures or problems else 0


def report(
    args: argparse.Namespace,
    per_round: int,
    rates: dict[str, list[float]],
    failures: list[str],
    problems: list[str],
    load_before: float,
) -> None:
    ratios = [w / b for w, b in zip(rates["webhook"], rates["baseline"], strict=True)]
    print(
        f"\nngo donation webhooks: {os.cpu_count()} CPUs, SQLite, gunicorn 2 sync workers, "
        f"{args.clients} clients, {args.rounds} rounds x {per_round} requests per side, "
        f"1-min load before {load_before:.2f}, after {os.getloadavg()[0]:.2f}"
    )
    header = f"{'route':<44} {'req/s':>8}  per round"
    print(header)
    print("-" * (len(header) + 30))
    for side, label in (
        ("baseline", f"baseline: POST {BASELINE_PATH} (one row)"),
        ("webhook", f"POST {WEBHOOK_PATH} (one gift confirmed)"),
    ):
        values = rates[side]
        per = ", ".join(f"{v:.0f}" for v in values)
        print(f"{label:<44} {statistics.median(values):>8.1f}  {per}")
    median = statistics.median(ratios)
    verdict = "ok" if median >= TARGET else "below"
    print(
        f"ratio webhook / baseline: median {median:.2f} (rounds "
        f"{', '.join(f'{r:.2f}' for r in ratios)}), target {TARGET} {verdict}"
    )
    for failure in failures[:10]:
        print(f"failed: {failure}")
    if failures:
        print(f"{len(failures)} requests did not answer 200")
    print(
        "every gift confirmed once; ledger verify found nothing new"
        if not problems
        else "\n".join(problems)
    )


if __name__ == "__main__":
    raise SystemExit(main())

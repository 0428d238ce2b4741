"""Where one confirmed gift's webhook spends its time: in-process, through Flask's test client.

Builds a throw-away instance as `donation_webhooks.py` does (migrations, demo data,
`--donations` pending online gifts, the Stripe stub in a child process), then posts each gift's
signed `checkout.session.completed` to `/webhooks/stripe` of `bench/webhook_app.py`, taking
turns with its one-row baseline `POST /bench/insert-one`, and prints the median milliseconds
of each, their ratio (without gunicorn and HTTP, which add the same to both) and the SQL
statements each ran. `--profile cprofile` or `--profile pyinstrument` (if installed) shows
where the webhook's time goes.

    .venv/bin/python bench/profile_webhooks.py --donations 300
    .venv/bin/python bench/profile_webhooks.py --donations 300 --profile cprofile
    .venv/bin/python bench/profile_webhooks.py --show-sql \
        --database-url postgresql://postgres@127.0.0.1:5432/ngo_bench  # production's database
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gifts import (
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    add_database_option,
    add_redis_option,
    empty_redis,
    fresh_database,
    make_pending,
    stripe_env,
    stripe_stub,
)
from gunicorn_workers import _production_like_env, prepare_instance  # bench/ is not a package

BASELINE_PATH = "/bench/insert-one"


def _count_statements(app: Any, show: bool) -> list[int]:
    from sqlalchemy import event

    from ngo.extensions import db

    counter = [0]
    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            counter[0] += 1
            if show:
                print("  SQL", " ".join(statement.split())[:160])

    return counter


PHASES = (
    ("stripe", "WebhookSignature", "verify_header"),
    ("ngo.donations.stripe_events", None, "handle_event"),
    ("ngo.donations.stripe_api", None, "retrieve_payment_intent"),
    ("ngo.donations.stripe_settle", None, "confirm_donation"),
    ("ngo.donations.confirmation", "funding", "lock_appeal_row"),
    ("ngo.donations.confirmation", None, "_claim"),
    ("ngo.donations.confirmation", "ledger", "post_rows"),
    ("ngo.donations.confirmation", "funding", "move_counters_of"),
    ("ngo.donations.confirmation", "outbox", "enqueue_row"),  # until 2026-12-03
    ("ngo.donations.confirmation", "outbox", "enqueue_rows_deferred"),
    ("ngo.donations.stripe_events", None, "_record_unless_seen"),
    ("ngo.donations.stripe_settle", None, "record_payment_rows"),
    ("ngo.donations.stripe_settle", None, "record_payment_row"),
    ("ngo.donations.stripe_settle", "audit", "record_change_row"),
    ("ngo.outbox", "deliver_outbox_message_task", "delay"),
    ("ngo.outbox", "deliver_outbox_messages_task", "delay"),
    ("sqlalchemy.orm", "Session", "commit"),
    ("sqlalchemy.orm", "Session", "flush"),
)


def _time_phases() -> dict[str, list[tuple[float, float]]]:
    """Wrap each step in a timer; where it is called as `module.attribute.name`, the wrapper
    goes on that attribute, else on the caller's own binding of `name`."""
    import functools
    import importlib

    spent: dict[str, list[tuple[float, float]]] = {}
    for module_name, attribute, name in PHASES:
        module = importlib.import_module(module_name)
        # A step an older commit does not have is left out, so the same list times both.
        owner = getattr(module, attribute, None) if attribute else module
        original = getattr(owner, name, None)
        if original is None:
            continue
        label = f"{attribute or module_name.rsplit('.', 1)[-1]}.{name}"
        times = spent.setdefault(label, [])

        @functools.wraps(original)
        def timed(*args: Any, _original: Any = original, _times: Any = times, **kw: Any) -> Any:
            started, started_cpu = time.perf_counter(), time.process_time()
            try:
                return _original(*args, **kw)
            finally:
                _times.append((time.perf_counter() - started, time.process_time() - started_cpu))

        setattr(owner, name, timed)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donations", type=int, default=300)
    parser.add_argument("--profile", choices=("none", "cprofile", "pyinstrument"), default="none")
    parser.add_argument("--top", type=int, default=40, help="rows of the cProfile listing")
    parser.add_argument("--dump", type=Path, help="with cprofile: also write the stats here")
    parser.add_argument("--show-sql", action="store_true", help="print every statement")
    parser.add_argument(
        "--phases",
        action="store_true",
        help="median milliseconds of each step of the path, and its mean CPU milliseconds",
    )
    add_database_option(parser)
    add_redis_option(parser)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="ngo-profile-") as tmp,
        fresh_database(args.database_url) as database,
    ):
        env = {**_production_like_env(Path(tmp) / "instance"), **database}
        prepare_instance(env)
        os.environ.update(env)
        gifts = make_pending(args.donations)
        with stripe_stub(gifts) as stub_url:
            os.environ.update({**stripe_env(env, args.redis), "STRIPE_API_BASE": stub_url})
            from webhook_app import app

            client = app.test_client()
            statements = _count_statements(app, args.show_sql)
            phases = _time_phases() if args.phases else {}
            json_headers = {"Content-Type": "application/json"}
            for _ in range(20):  # warm: imports, templates, the first connections
                client.post(BASELINE_PATH, data=b"{}", headers=json_headers)
            times: dict[str, list[float]] = {"baseline": [], "webhook": []}
            cpu: dict[str, list[float]] = {"baseline": [], "webhook": []}
            sql: dict[str, set[int]] = {"baseline": set(), "webhook": set()}
            profiler: Any = None
            if args.profile == "cprofile":
                # The thread's CPU time, not the wall clock: a wall-clock profile counts the
                # waits for PostgreSQL's answers as psycopg's own time.
                profiler = cProfile.Profile(time.thread_time)
            elif args.profile == "pyinstrument":
                from pyinstrument import Profiler

                profiler = Profiler()
            for gift in gifts:
                if args.show_sql:
                    print(f"gift {gift.number}")
                body, headers = gift.signed_event(WEBHOOK_SECRET)
                for side, path, data, sent in (
                    ("baseline", BASELINE_PATH, b"{}", json_headers),
                    ("webhook", WEBHOOK_PATH, body, headers),
                ):
                    before = statements[0]
                    if side == "webhook" and profiler is not None:
                        profiler.enable() if args.profile == "cprofile" else profiler.start()
                    started, started_cpu = time.perf_counter(), time.process_time()
                    response = client.post(path, data=data, headers=sent)
                    times[side].append(time.perf_counter() - started)
                    cpu[side].append(time.process_time() - started_cpu)
                    if side == "webhook" and profiler is not None:
                        profiler.disable() if args.profile == "cprofile" else profiler.stop()
                    if response.status_code != 200:
                        raise SystemExit(f"{path}: {response.status_code} {response.data[:300]!r}")
                    sql[side].add(statements[0] - before)
        empty_redis(args.redis)
    base, hook = (statistics.median(times[s]) * 1000 for s in ("baseline", "webhook"))
    base_cpu, hook_cpu = (statistics.mean(cpu[s]) * 1000 for s in ("baseline", "webhook"))
    print(f"baseline {base:.2f} ms, CPU {base_cpu:.2f} ms (SQL {sorted(sql['baseline'])})")
    print(f"webhook  {hook:.2f} ms, CPU {hook_cpu:.2f} ms (SQL {sorted(sql['webhook'])})")
    print(f"ratio baseline / webhook time: {base / hook:.2f}, CPU: {base_cpu / hook_cpu:.2f}")
    for name, spent in phases.items():
        if not spent:
            continue
        kept = spent[20:] or spent
        wall = statistics.median(w for w, _ in kept) * 1000
        used = statistics.mean(c for _, c in kept) * 1000
        print(f"  {name:<40} {wall:6.2f} ms, CPU {used:5.2f} ms")
    if args.profile == "cprofile":
        if args.dump:
            profiler.dump_stats(args.dump)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
    elif args.profile == "pyinstrument":
        print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()

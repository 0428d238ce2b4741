"""Donations confirmed per second through Stripe's signed webhook, as a ratio to one insert.

A throw-away SQLite instance in production mode (as bench/gunicorn_workers.py makes it) gets
`--donations` pending online gifts to the seed appeal, made by the donate form's own service
(`giving.start_gift`, with the Checkout session recorded as the view records it). A local
Stripe stub (tests/donations/stripe_stub.py, in a child process) holds each gift's payment
intent, charge and balance transaction. One gunicorn server (`--server`: as deployed, gthread
with 2 workers x 4 threads, the default since 2026-12-03; or 2 sync workers) serves
`bench/webhook_app.py`: ngo plus a bench-only `POST /bench/insert-one` that inserts one
`provider_events` row. `--clients` threads with keep-alive http.client post, in alternating
rounds, one `checkout.session.completed` event per gift (signed with `stripe.WebhookSignature`
and the instance's webhook secret just before its round) to `/webhooks/stripe`, and as many
inserts to the baseline route. Every answer must be a 200. Afterwards each gift must be
confirmed with exactly one ledger transaction and `flask --app ngo ledger verify` must exit 0.

    .venv/bin/python bench/donation_webhooks.py [--donations 1200] [--rounds 3] [--clients 4]
        [--server deployed|sync]
        [--database-url postgresql://postgres@127.0.0.1:5432/ngo_bench]  # production's database
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gifts import (  # bench/ is not a package
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    add_database_option,
    add_redis_option,
    check_confirmed,
    empty_redis,
    fresh_database,
    ledger_problems,
    make_pending,
    stripe_env,
    stripe_stub,
)
from gunicorn_workers import (
    HOST,
    REQUEST_TIMEOUT_SECONDS,
    WorkerConfig,
    _production_like_env,
    prepare_instance,
    running_gunicorn,
)

REPO = Path(__file__).resolve().parents[1]
TARGET = 0.5
BASELINE_PATH = "/bench/insert-one"
SERVERS = {
    # As the Dockerfile and docker-compose.yml run it (bench/gunicorn_workers.py chose it).
    "deployed": WorkerConfig(
        "gthread, 2 workers x 4 threads",
        ("--workers", "2", "--worker-class", "gthread", "--threads", "4"),
    ),
    # As the runs until 2026-12-03 measured, and as the Procfile of `make run` serves.
    "sync": WorkerConfig("sync, 2 workers", ("--workers", "2", "--worker-class", "sync")),
}


_TICKS = os.sysconf("SC_CLK_TCK")
# Whose CPU a request costs: the web server's, the database's, the broker's (and the limiter's)
# and this process's, the clients.
_GROUPS = ("gunicorn", "postgres", "redis", "clients")


def _group_of(pid: str) -> str | None:
    if pid == str(os.getpid()):
        return "clients"
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        if comm == "postgres":
            return "postgres"
        if comm.startswith("redis-server"):
            return "redis"
        if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return "gunicorn"
    except OSError:
        pass
    return None


def cpu_seconds() -> dict[str, float]:
    """CPU seconds (user and system) used so far by each group's processes, from /proc (Linux;
    empty elsewhere). A process that ended between two readings is missed: PostgreSQL's
    backends of the server's pool and gunicorn's workers live through the run."""
    totals = dict.fromkeys(_GROUPS, 0.0)
    proc = Path("/proc")
    if not proc.is_dir():
        return {}
    for entry in proc.iterdir():
        if not entry.name.isdigit() or (group := _group_of(entry.name)) is None:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        totals[group] += (int(fields[11]) + int(fields[12])) / _TICKS
    return totals


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donations", type=int, default=1200, help="gifts, over all rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--server",
        choices=sorted(SERVERS),
        default="deployed",
        help="gunicorn's workers, for both routes: as deployed (gthread, 2 x 4 threads; "
        "default) or 2 sync workers",
    )
    add_redis_option(parser)
    add_database_option(parser)
    args = parser.parse_args(argv)
    per_round = args.donations // args.rounds
    load_before = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="ngo-bench-") as tmp,
        fresh_database(args.database_url) as database,
    ):
        workdir = Path(tmp)
        env = {**_production_like_env(workdir / "instance"), **database}
        prepare_instance(env)
        seeded = ledger_problems(env)
        os.environ.update(env)
        started = time.perf_counter()
        gifts = make_pending(per_round * args.rounds)
        print(f"made {len(gifts)} pending gifts in {time.perf_counter() - started:.1f} s")
        rates: dict[str, list[float]] = {"baseline": [], "webhook": []}
        cpu: dict[str, dict[str, list[float]]] = {
            side: {group: [] for group in _GROUPS} for side in rates
        }
        failures: list[str] = []
        with stripe_stub(gifts) as stub_url:
            server_env = {**stripe_env(env, args.redis), "STRIPE_API_BASE": stub_url}
            with running_gunicorn(
                SERVERS[args.server], server_env, workdir, "webhook_app:app", REPO / "bench", "/"
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
                        before = cpu_seconds()
                        ok, bad, seconds = post_all(port, requests, args.clients)
                        after = cpu_seconds()
                        rates[side].append(ok / seconds)
                        for group in before:
                            cpu[side][group].append((after[group] - before[group]) / len(batch))
                        failures += bad
        problems = check_confirmed(gifts, env, seeded)
        empty_redis(args.redis)
    report(args, per_round, rates, failures, problems, load_before)
    report_cpu(cpu)
    if seeded[0] != 0:
        print(
            f"(ledger verify exits {seeded[0]} on the freshly seeded demo instance already, "
            f"{len(seeded[1])} differences of seed-demo's own; the run added none)"
        )
    return 1 if failures or problems else 0


def report_cpu(cpu: dict[str, dict[str, list[float]]]) -> None:
    """Milliseconds of CPU per request of each group, median over the rounds."""
    if not any(cpu["baseline"][group] for group in _GROUPS):
        return
    print(
        "\nCPU per request, ms (median of the rounds; gunicorn's workers, PostgreSQL, Redis, "
        "the clients):"
    )
    for side in ("baseline", "webhook"):
        cells = [f"{group} {statistics.median(cpu[side][group]) * 1000:5.2f}" for group in _GROUPS]
        total = sum(statistics.median(cpu[side][group]) for group in _GROUPS) * 1000
        print(f"  {side:<9} {', '.join(cells)}; all {total:5.2f}")


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
        f"\nngo donation webhooks: {os.cpu_count()} CPUs, "
        f"{'PostgreSQL' if args.database_url else 'SQLite'}, gunicorn {SERVERS[args.server].name}, "
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

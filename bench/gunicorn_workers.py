"""Compare gunicorn worker classes for ngo on this host and print requests/second.

Every configuration is measured in the same run against the same throw-away SQLite instance and
reported as a ratio to "sync, 2 workers", because absolute numbers say more about the machine
than about the choice. Only 127.0.0.1 is ever contacted.

    .venv/bin/python bench/gunicorn_workers.py [--seconds 4] [--clients 8] [--rounds 2]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
PATHS = ("/", "/login", "/healthz")
BASELINE = "sync, 2 workers"
READY_TIMEOUT_SECONDS = 60.0
WARM_UP_SECONDS = 1.0
REQUEST_TIMEOUT_SECONDS = 10.0

# Variables that would point the benchmark at real services or change gunicorn behind our back.
SCRUBBED_ENV = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "MAIL_URL",
    "RATELIMIT_STORAGE_URI",
    "NGO_PROXY_HOPS",
    "NGO_BASE_URL",
    "GUNICORN_CMD_ARGS",
    "WEB_CONCURRENCY",
)


@dataclass(frozen=True)
class WorkerConfig:
    name: str
    args: tuple[str, ...]


CONFIGS = (
    WorkerConfig(BASELINE, ("--workers", "2", "--worker-class", "sync")),
    WorkerConfig(
        "gthread, 2 workers x 4 threads",
        ("--workers", "2", "--worker-class", "gthread", "--threads", "4"),
    ),
    WorkerConfig("sync, 4 workers", ("--workers", "4", "--worker-class", "sync")),
)


@dataclass
class Measurement:
    config: str
    path: str
    ok: int
    failed: int
    seconds: float
    client_cpu_seconds: float
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    round_index: int = 0

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _binary(name: str) -> str:
    # The project's venv (what `make` installs) first, else the running interpreter's.
    for folder in (REPO / ".venv" / "bin", Path(sys.executable).parent):
        candidate = folder / name
        if candidate.exists():
            return str(candidate)
    raise SystemExit(f"{name} not found in {REPO / '.venv' / 'bin'} or next to {sys.executable}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _production_like_env(instance: Path) -> dict[str, str]:
    """Production mode (security headers, secure cookies) on SQLite in a temporary folder.

    Keys are generated per run: production refuses the development ones, and nothing
    encrypted during a benchmark needs to be read again.
    """
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(
        NGO_ENV="production",
        NGO_INSTANCE_PATH=str(instance),
        SECRET_KEY=secrets.token_urlsafe(48),
        NGO_DATA_KEYS=Fernet.generate_key().decode(),
        NGO_INDEX_KEY=secrets.token_urlsafe(48),
        NGO_AUDIT_KEY=secrets.token_urlsafe(48),
        NGO_AUDIT_SIGNING_KEY=secrets.token_urlsafe(32),
        PYTHONUNBUFFERED="1",
        # Readers are rate-limited in production; here one client sends every request.
        NGO_PUBLIC_RATE_LIMIT="100000000 per minute",
    )
    return env


def prepare_instance(env: dict[str, str]) -> None:
    """Create the schema the way deployments do (migrations) and load the demo data."""
    flask = _binary("flask")
    for command in (["db", "upgrade"], ["seed-demo"]):
        result = subprocess.run(
            [flask, "--app", "ngo", *command],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"flask {' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def _get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@contextmanager
def running_gunicorn(
    config: WorkerConfig,
    env: dict[str, str],
    workdir: Path,
    app_spec: str = "ngo:create_app()",
    cwd: Path = REPO,
    ready_path: str = "/healthz",
) -> Iterator[int]:
    """Start gunicorn, wait until `ready_path` answers 200, and always stop it by its own pid."""
    port = _free_port()
    log_path = workdir / f"gunicorn-{port}.log"
    # An empty config file: a gunicorn.conf.py in the repository must not skew the comparison.
    empty_config = workdir / "empty.gunicorn.conf.py"
    empty_config.write_text("")
    command = [
        _binary("gunicorn"),
        "--config",
        str(empty_config),
        "--bind",
        f"{HOST}:{port}",
        *config.args,
        app_spec,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited early:\n{log_path.read_text()[-4000:]}")
            try:
                if _get(port, ready_path) == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn not ready:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def drive(
    port: int,
    path: str,
    clients: int,
    seconds: float,
    max_requests: int,
    keep_alive: bool = True,
) -> Measurement:
    """`clients` threads issue GETs back to back until the time or the request budget runs out.

    With keep_alive, http.client keeps the connection open when the server allows it (gthread)
    and reconnects when it does not (sync workers answer with Connection: close), as a browser
    would. Without it every request opens a new connection, as a reverse proxy does that has no
    upstream keep-alive configured (nginx's default).
    """
    headers = {"Accept-Language": "en"}
    if not keep_alive:
        headers["Connection"] = "close"
    budget = itertools.count()
    deadline = time.monotonic() + seconds
    results: list[tuple[int, int, list[float]]] = []
    results_lock = threading.Lock()

    def client() -> None:
        ok = failed = 0
        latencies: list[float] = []
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            while time.monotonic() < deadline and next(budget) < max_requests:
                started = time.perf_counter()
                try:
                    connection.request("GET", path, headers=headers)
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    failed += 1
                    connection.close()
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status == 200:
                    ok += 1
                else:
                    failed += 1
        finally:
            connection.close()
            with results_lock:
                results.append((ok, failed, latencies))

    cpu_before = time.process_time()
    started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT_SECONDS + 5)
    elapsed = time.perf_counter() - started
    cpu_used = time.process_time() - cpu_before
    with results_lock:
        collected = list(results)
    return Measurement(
        config="",
        path=path,
        ok=sum(r[0] for r in collected),
        failed=sum(r[1] for r in collected) + (clients - len(collected)),
        seconds=elapsed,
        client_cpu_seconds=cpu_used,
        latencies_ms=[ms for r in collected for ms in r[2]],
    )


def _geometric_mean(values: Sequence[float]) -> float:
    positive = [v for v in values if v > 0 and not math.isnan(v)]
    if not positive:
        return math.nan
    return math.exp(sum(math.log(v) for v in positive) / len(positive))


def _combine(rows: list[Measurement]) -> Measurement:
    return Measurement(
        config=rows[0].config,
        path=rows[0].path,
        ok=sum(m.ok for m in rows),
        failed=sum(m.failed for m in rows),
        seconds=sum(m.seconds for m in rows),
        client_cpu_seconds=sum(m.client_cpu_seconds for m in rows),
        latencies_ms=[ms for m in rows for ms in m.latencies_ms],
    )


def report(
    measurements: list[Measurement],
    clients: int,
    seconds: float,
    rounds: int,
    connection: str,
    load_before: float,
) -> dict[str, object]:
    """Print the table and return the same numbers for --json.

    `ratio` divides totals over all rounds; `range` shows the ratio of each round on its own.
    Both sides of a per-round ratio ran back to back, so a neighbour stealing CPU for a while
    (a test run, a build) shows up as a wide range rather than as a plausible-looking number.
    """
    import gunicorn

    def cell(config: str, path: str, round_: int | None = None) -> Measurement:
        rows = [
            m
            for m in measurements
            if m.config == config and m.path == path and round_ in (None, m.round_index)
        ]
        return _combine(rows)

    print(
        f"ngo gunicorn workers: {os.cpu_count()} CPUs, {clients} clients ({connection}), "
        f"{rounds} x {seconds:g} s per configuration and path, Python "
        f"{platform.python_version()}, gunicorn {gunicorn.__version__}, SQLite, "
        f"1-min load before the run {load_before:.2f}"
    )
    header = (
        f"{'configuration':<32} {'path':<9} {'req/s':>8} {'ratio':>6} {'range':>11} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'failed':>6} {'client cpu':>10}"
    )
    print(header)
    print("-" * len(header))
    summary: dict[str, float] = {}
    rows_out: list[dict[str, object]] = []
    for config in CONFIGS:
        ratios = []
        for path in PATHS:
            total = cell(config.name, path)
            base = cell(BASELINE, path)
            ratio = total.rps / base.rps if base.rps else math.nan
            per_round = [
                cell(config.name, path, r).rps / cell(BASELINE, path, r).rps
                for r in range(rounds)
                if cell(BASELINE, path, r).rps
            ]
            spread = f"{min(per_round):.2f}-{max(per_round):.2f}" if per_round else "n/a"
            ratios.append(ratio)
            print(
                f"{config.name:<32} {path:<9} {total.rps:>8.1f} {ratio:>6.2f} {spread:>11} "
                f"{total.percentile_ms(0.5):>7.1f} {total.percentile_ms(0.95):>7.1f} "
                f"{total.failed:>6} {total.client_cpu_seconds / total.seconds:>9.2f}c"
            )
            rows_out.append(
                {
                    "config": config.name,
                    "path": path,
                    "requests": total.ok,
                    "failed": total.failed,
                    "seconds": total.seconds,
                    "rps": total.rps,
                    "ratio": ratio,
                    "ratio_per_round": per_round,
                    "p50_ms": total.percentile_ms(0.5),
                    "p95_ms": total.percentile_ms(0.95),
                }
            )
        summary[config.name] = _geometric_mean(ratios)
    print()
    print(f"geometric mean of the per-path ratios to {BASELINE!r}:")
    for name, ratio in summary.items():
        print(f"  {name:<32} {ratio:.2f}")
    best = max(summary, key=lambda name: 0 if math.isnan(summary[name]) else summary[name])
    print(f"highest throughput in this run: {best}")
    return {
        "cpus": os.cpu_count(),
        "clients": clients,
        "connection": connection,
        "seconds": seconds,
        "rounds": rounds,
        "load_before": load_before,
        "baseline": BASELINE,
        "results": rows_out,
        "ratio_geometric_mean": summary,
        "best": best,
    }


def _bounded(low: float, high: float, kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}")
        return value

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds",
        type=_bounded(1, 60, float),
        default=4.0,
        help="load duration of one measurement (default 4; rounds x 3 configurations x 3 paths)",
    )
    parser.add_argument(
        "--clients",
        type=_bounded(1, 64, int),
        default=8,
        help="concurrent clients (default 8)",
    )
    parser.add_argument(
        "--connection",
        choices=("keep-alive", "close"),
        default="keep-alive",
        help="keep-alive: clients reuse connections where the server allows (default); "
        "close: a new connection per request, like a proxy without upstream keep-alive",
    )
    parser.add_argument(
        "--rounds",
        type=_bounded(1, 10, int),
        default=2,
        help="interleaved repetitions, each in a different configuration order (default 2)",
    )
    parser.add_argument(
        "--max-requests",
        type=_bounded(1, 1_000_000, int),
        default=200_000,
        help="request budget per measurement, a second bound beside --seconds",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    # Anything else busy on the host skews absolute numbers; the ratios are more robust.
    load_before = os.getloadavg()[0]
    measurements: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="ngo-bench-") as tmp, ExitStack() as servers:
        workdir = Path(tmp)
        instance = workdir / "instance"
        instance.mkdir()
        env = _production_like_env(instance)
        prepare_instance(env)
        # All servers run side by side and take turns: idle workers cost next to nothing, and
        # interleaving spreads any slow phase of the host over every configuration.
        ports = {
            config.name: servers.enter_context(running_gunicorn(config, env, workdir))
            for config in CONFIGS
        }
        for port in ports.values():
            # First requests pay for template compilation and pool set-up in every worker.
            for path in PATHS:
                drive(port, path, args.clients, WARM_UP_SECONDS / len(PATHS), 10_000)
        for round_ in range(args.rounds):
            order = CONFIGS[round_ % len(CONFIGS) :] + CONFIGS[: round_ % len(CONFIGS)]
            for path in PATHS:
                for config in order:
                    measurement = drive(
                        ports[config.name],
                        path,
                        args.clients,
                        args.seconds,
                        args.max_requests,
                        keep_alive=args.connection == "keep-alive",
                    )
                    measurement.config, measurement.round_index = config.name, round_
                    measurements.append(measurement)
    result = report(
        measurements, args.clients, args.seconds, args.rounds, args.connection, load_before
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    failed = sum(m.failed for m in measurements)
    if failed:
        print(f"warning: {failed} requests failed or did not answer 200", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

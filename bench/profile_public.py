"""Where a fresh render of a public page spends its time: in-process, page cache off.

Builds (or reuses, with `--instance`) the instance of `public_pages.py` (migrations, demo data,
`--appeals` generated appeals), then renders each public path `--requests` times through
Flask's test client with the page cache off, taking turns with the minimal page of
`baseline_app.py` on the same database, and prints the median milliseconds per render, the
ratio to the baseline (without gunicorn and HTTP, which add the same to both, so lower than
`public_pages.py` measures) and the SQL statements each one ran. `--profile cprofile` or
`--profile pyinstrument` shows where the time of one path goes.

    .venv/bin/python bench/profile_public.py --instance /tmp/ngo-profile
    .venv/bin/python bench/profile_public.py --instance /tmp/ngo-profile --path list \
        --profile cprofile
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gunicorn_workers import _production_like_env, prepare_instance  # bench/ is not a package
from public_pages import SEARCH_WORD, generate


def _instance(folder: Path, appeals: int) -> str:
    """The instance's environment and one generated slug, building it on first use."""
    settings = folder / "bench.json"
    if settings.exists():
        saved = json.loads(settings.read_text())
        os.environ.update(saved["env"])
        return str(saved["slug"])
    env = _production_like_env(folder / "instance")
    prepare_instance(env)
    os.environ.update(env)
    slug = generate(appeals)
    keep = {k: v for k, v in env.items() if k.startswith("NGO_") or k == "SECRET_KEY"}
    settings.write_text(json.dumps({"env": keep, "slug": slug}))
    return slug


def _baseline_client(folder: Path) -> Any:
    """bench/baseline_app.py on the same database, in this process."""
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'instance' / 'ngo.sqlite'}"
    from baseline_app import app

    return app.test_client()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True, help="folder, kept between runs")
    parser.add_argument("--appeals", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument(
        "--path", choices=("list", "search", "appeal", "api", "robots", "all"), default="all"
    )
    parser.add_argument("--profile", choices=("none", "cprofile", "pyinstrument"), default="none")
    parser.add_argument("--language", default="en")
    args = parser.parse_args()
    args.instance.mkdir(parents=True, exist_ok=True)
    slug = _instance(args.instance, args.appeals)

    from sqlalchemy import event

    from ngo import create_app
    from ngo.extensions import db

    app = create_app({"PUBLIC_PAGE_CACHE_SIZE": 0})
    paths = {
        "list": "/appeals",
        "search": f"/appeals?q={SEARCH_WORD}",
        "appeal": f"/appeals/{slug}",
        "api": "/api/v1/appeals",
    }
    # What every public answer costs besides its own work: a page of two lines.
    floor = {"robots": "/robots.txt"}
    chosen = paths if args.path == "all" else {args.path: {**paths, **floor}[args.path]}
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = app.test_client()
    headers = {"Accept-Language": args.language}

    def get(path: str) -> bytes:
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        return response.data

    baseline = _baseline_client(args.instance)

    def base() -> None:
        if baseline.get("/").status_code != 200:
            raise SystemExit("the baseline answered an error")

    for name, path in chosen.items():
        get(path)  # warm-up: templates compiled, catalogs and dictionaries loaded
        base()
        statements.clear()
        get(path)
        count = len(statements)
        wall: dict[str, list[float]] = {"ngo": [], "base": []}
        cpu: dict[str, list[float]] = {"ngo": [], "base": []}
        # Taking turns request by request, so that whatever else the machine runs slows both;
        # the CPU time of this thread is the steadier measure on a busy machine.
        for _ in range(args.requests):
            for side, request in (("ngo", functools.partial(get, path)), ("base", base)):
                started, started_cpu = time.perf_counter(), time.thread_time()
                request()
                wall[side].append((time.perf_counter() - started) * 1000)
                cpu[side].append((time.thread_time() - started_cpu) * 1000)
        ngo_ms, base_ms = statistics.median(wall["ngo"]), statistics.median(wall["base"])
        ngo_cpu, base_cpu = statistics.median(cpu["ngo"]), statistics.median(cpu["base"])
        print(
            f"{name:<8} {ngo_ms:6.2f} ms (baseline {base_ms:5.2f}), ratio {base_ms / ngo_ms:4.2f}; "
            f"CPU {ngo_cpu:6.2f} ms (baseline {base_cpu:5.2f}), ratio {base_cpu / ngo_cpu:4.2f}; "
            f"{count} SQL statements"
        )
    if args.profile == "none":
        return
    if len(chosen) != 1:
        raise SystemExit("--profile needs one --path")
    (path,) = chosen.values()
    if args.profile == "cprofile":
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            get(path)
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(250)
        stats.sort_stats("tottime").print_stats(40)
    else:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
        for _ in range(args.requests):
            get(path)
        profiler.stop()
        print(profiler.output_text(unicode=True, show_all=bool(os.environ.get("PROFILE_ALL"))))


if __name__ == "__main__":
    main()

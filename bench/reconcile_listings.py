"""Time of a second `flask reconcile-listings` as a ratio to the first, on generated appeals.

`make run` runs the command at every start, and deployments after each upgrade. The first run
after the data was generated (documents written by an older folding, as after an upgrade)
rewrites every search document; the second finds nothing to do and should cost a small
fraction of it (target: at most 0.2, printed beside the ratio).

Builds a throw-away SQLite instance the way deployments do (migrations, demo data), adds
`--appeals` appeals with bench/public_pages.py's generator, then runs the command twice in
this process through Flask's CLI runner (app start-up is left out of both times; the
folding's word caches are emptied before each, as in a new process).

    .venv/bin/python bench/reconcile_listings.py [--appeals 1000]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gunicorn_workers import _production_like_env, prepare_instance  # bench/ is not a package
from public_pages import generate

TARGET = 0.2


def _reconcile(runner) -> tuple[float, int, int]:
    """Seconds, appeals checked and documents rewritten by one run of the command."""
    from ngo.campaigns import search

    # Each `make run` is a new process: no word is in the folding's caches yet.
    search._fold.cache_clear()
    search._skeleton_word.cache_clear()
    started = time.perf_counter()
    with runner.app.app_context():  # as the `flask` command gives every command
        result = runner.invoke(args=["reconcile-listings"])
    seconds = time.perf_counter() - started
    if result.exit_code != 0:
        raise SystemExit(f"reconcile-listings failed:\n{result.output}{result.exception!r}")
    checked = int(re.search(r"Checked (\d+)", result.output).group(1))
    rewritten = int(re.search(r"Rewrote (\d+)", result.output).group(1))
    return seconds, checked, rewritten


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appeals", type=int, default=1_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ngo-bench-") as tmp:
        env = _production_like_env(Path(tmp) / "instance")
        prepare_instance(env)
        os.environ.update(env)
        started = time.perf_counter()
        generate(args.appeals)
        print(f"generated {args.appeals} appeals in {time.perf_counter() - started:.1f} s")

        from ngo import create_app

        app = create_app()
        runner = app.test_cli_runner()
        first = _reconcile(runner)
        second = _reconcile(runner)
        for name, (seconds, checked, rewritten) in (("first", first), ("second", second)):
            print(
                f"{name:6} reconcile-listings: {seconds:7.2f} s, {checked} listing(s) checked, "
                f"{rewritten} search document(s) rewritten"
            )
        ratio = second[0] / first[0]
        verdict = "ok" if ratio <= TARGET else "above target"
        print(f"second / first: {ratio:.3f} (target <= {TARGET}: {verdict})")


if __name__ == "__main__":
    main()

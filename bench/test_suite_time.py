"""The pytest part of `make test` at two git revisions, timed in one run on this machine.

    .venv/bin/python bench/test_suite_time.py OLD [NEW] [--rounds N] [-- PYTEST ARGS]

Each revision is checked out into a temporary worktree (with the repository's virtualenv and
compiled translations) and its suite runs there with `python -m pytest -q` on SQLite with no
service, in one process (`-- -n auto` for the parallel run of `make test`). With several rounds the
revisions take turns (old, new, old, new...), so that a change of load on a shared machine falls on
both. Printed: wall-clock and CPU time (user + system of pytest and its children) of each run, the
best of each revision, the ratios new/old, the pytest summary line (the counts of tests) and the
load average before and after. CPU time is the steadier measure when other people use the machine.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(r"^=*\s*(\d+ (passed|failed).*?) in [\d.]+s", re.MULTILINE)


@dataclass
class Run:
    revision: str
    wall: float
    cpu: float
    summary: str
    returncode: int


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _checkout(revision: str, parent: Path) -> Path:
    commit = _git("rev-parse", "--verify", f"{revision}^{{commit}}")
    folder = parent / commit[:12]
    _git("worktree", "add", "--detach", "--quiet", str(folder), commit)
    venv = REPO / ".venv"
    link = folder / ".venv"
    if link.is_symlink():  # a revision that tracked the symlink by mistake
        link.unlink()
    link.symlink_to(venv.resolve() if venv.is_symlink() else venv)
    pybabel = str(folder / ".venv/bin/pybabel")
    subprocess.run(
        [pybabel, "compile", "--use-fuzzy", "-d", "ngo/translations", "-D", "messages"],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    return folder


def _environment() -> dict[str, str]:
    # `make test`: SQLite and no service, whatever this shell has set.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NGO_TEST_")}
    env.pop("PYTEST_ADDOPTS", None)
    return env


def _run(revision: str, folder: Path, pytest_args: list[str], output: Path | None) -> Run:
    command = [str(folder / ".venv/bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        command + pytest_args,
        cwd=folder,  # first on sys.path: the revision's own ngo/ and tests/ run
        env=_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    found = SUMMARY.findall(result.stdout)
    lines = result.stdout.strip().splitlines() or [""]
    summary = found[-1][0] if found else lines[-1]
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        (output / f"{folder.name}-{int(time.time())}.txt").write_text(result.stdout)
    if result.returncode != 0:
        print(result.stdout[-3000:], file=sys.stderr)
    return Run(revision, wall, cpu, summary, result.returncode)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", help="revision measured first, e.g. main or a commit")
    parser.add_argument("new", nargs="?", default="HEAD", help="revision to compare (HEAD)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each revision, in turn")
    parser.add_argument("--output", type=Path, help="folder for each run's pytest output")
    argv = sys.argv[1:]
    pytest_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)

    parent = Path(tempfile.mkdtemp(prefix="ngo-suite-time-"))
    runs: list[Run] = []
    print(f"load average before: {_load()}   cores: {os.cpu_count()}", flush=True)
    try:
        folders = {rev: _checkout(rev, parent) for rev in (args.old, args.new)}
        for round_ in range(1, args.rounds + 1):
            for revision in (args.old, args.new):
                run = _run(revision, folders[revision], pytest_args, args.output)
                runs.append(run)
                print(
                    f"round {round_} {revision:>12}: wall {run.wall:7.1f} s  cpu {run.cpu:7.1f} s"
                    f"  exit {run.returncode}  {run.summary}   load {_load()}",
                    flush=True,
                )
    finally:
        for folder in parent.iterdir():
            _git("worktree", "remove", "--force", str(folder))
        shutil.rmtree(parent, ignore_errors=True)

    def best(revision: str, measure: str) -> float:
        return min(getattr(r, measure) for r in runs if r.revision == revision)

    print(f"load average after: {_load()}")
    for measure in ("wall", "cpu"):
        old, new = best(args.old, measure), best(args.new, measure)
        print(f"{measure:>4}: old {old:7.1f} s  new {new:7.1f} s  new/old {new / old:.2f}")
    return 0 if all(r.returncode == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())

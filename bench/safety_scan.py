"""How long does the publication safety check take on a story, against the engine it replaced?

Scans a story of --chars characters (the seed story, its Polish, Russian and Belarusian demo
neighbours, cut to length) against the seed case's private values, with the package
`ngo.campaigns.safety` and with the single-module engine of commit 610ea20, loaded from git into
a temporary module (it is not kept in the package). Both are warmed up first (dictionaries,
city names, compiled patterns), then timed in alternating rounds so that other load on the host
slows both alike. Prints the median per scan and the ratio new / old measured in this run;
compare the ratio, not the absolute numbers. Also prints a "cold" number: the same story with
every word changed, so that no per-word cache helps.

    .venv/bin/python bench/safety_scan.py
    .venv/bin/python bench/safety_scan.py --chars 20000 --rounds 7
"""

# ruff: noqa: RUF001  (Cyrillic on purpose: the seed case's values)

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ngo.campaigns import safety  # noqa: E402
from ngo.cases.models import ConsentItem  # noqa: E402
from ngo.demo.cases import seed_story_body  # noqa: E402
from tests.campaigns.safety_helpers import seed_person  # noqa: E402

OLD_COMMIT = "610ea20"


def old_engine():
    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{OLD_COMMIT}:ngo/campaigns/safety.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location("old_safety", handle.name)
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_safety"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    Path(handle.name).unlink()
    return module


def story(chars: int) -> str:
    parts = [seed_story_body()]
    for name in ("03-marta-legal", "07-dmitri-relocation", "02-natallia-family"):
        data = tomllib.loads((REPO / f"ngo/demo/content/appeals/{name}.toml").read_text())
        parts += [text["story"] for text in data["text"].values()]
    text = "\n\n".join(parts)
    while len(text) < chars:
        text += "\n\n" + text
    return text[:chars]


def per_scan_ms(scan, text: str, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        scan(text)
    return (time.perf_counter() - start) / repeat * 1000


def shifted(text: str, n: int) -> str:
    """Every letter moved on by n within its script: new words, same shape and length."""
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            ch = chr((ord(ch) - 97 + n) % 26 + 97)
        elif "а" <= ch <= "я":
            ch = chr((ord(ch) - 0x430 + n) % 32 + 0x430)
        out.append(ch)
    return "".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20, help="scans per round")
    args = parser.parse_args()

    text = story(args.chars)
    consented = frozenset({ConsentItem.PUBLIC_NAME, ConsentItem.STORY})
    old = old_engine()
    person = seed_person()
    new_private = safety.private_values_of(person, consented)
    old_private = old.private_values_of(person, consented)

    def scan_new(t: str) -> list:
        return safety.scan_texts({"story": t}, new_private)

    def scan_old(t: str) -> list:
        return old.scan_texts({"story": t}, old_private)

    start = time.perf_counter()
    scan_new(text)
    warm_up = time.perf_counter() - start
    scan_old(text)
    new_times, old_times = [], []
    for _ in range(args.rounds):
        new_times.append(per_scan_ms(scan_new, text, args.repeat))
        old_times.append(per_scan_ms(scan_old, text, args.repeat))
    cold = []
    for n in range(1, args.rounds + 1):
        other = shifted(text, n)
        start = time.perf_counter()
        scan_new(other)
        cold.append((time.perf_counter() - start) * 1000)
    new_ms, old_ms = statistics.median(new_times), statistics.median(old_times)
    print(f"story: {len(text)} characters; seed case: {len(new_private)} private values")
    print(f"first scan of the process (dictionaries, city names): {warm_up:.2f} s")
    print(f"new engine: {new_ms:.2f} ms per scan (median of {args.rounds} x {args.repeat})")
    print(f"old engine: {old_ms:.2f} ms per scan")
    print(f"ratio new / old: {new_ms / old_ms:.2f}")
    print(f"new engine, words never seen before: {statistics.median(cold):.2f} ms per scan")


if __name__ == "__main__":
    main()

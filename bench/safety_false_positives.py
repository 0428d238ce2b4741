"""How often does the publication safety check flag text that holds no private value?

Scans (a) the published demo stories, each against its own case, and (b) a few thousand words
of ordinary English, Polish and Russian prose (tests/campaigns/safety_corpus/ordinary/) against
every demo case, and prints the words scanned, the findings and the false positives per 1,000
words, next to the same numbers for the previous check (commit 610ea20, read with `git show`
into a temporary module: it is never copied into the package) measured in the same run.

None of the texts contains a demo case's private value, so every finding is a false positive.

    .venv/bin/python bench/safety_false_positives.py            # a few seconds
    .venv/bin/python bench/safety_false_positives.py --show     # and each finding in context

The demo people are fictional, so `--show` prints the contexts; never run it on real cases.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
import types
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ngo.campaigns import safety  # noqa: E402
from tests.campaigns.safety_corpus import Case, demo_cases, ordinary_prose  # noqa: E402

BASELINE_COMMIT = "610ea20"
_WORDS = re.compile(r"\w+")


@contextmanager
def baseline_engine() -> Iterator[types.ModuleType]:
    """The check as it was at BASELINE_COMMIT, as a module that lives only for the run."""
    source = subprocess.run(
        ["git", "show", f"{BASELINE_COMMIT}:ngo/campaigns/safety.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    name = f"_safety_at_{BASELINE_COMMIT}"
    module = types.ModuleType(name)
    module.__file__ = f"<{BASELINE_COMMIT}:ngo/campaigns/safety.py>"
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    try:
        exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102
        yield module
    finally:
        del sys.modules[name]


def words(text: str) -> int:
    return len(_WORDS.findall(text))


@dataclass
class Tally:
    words: int = 0
    findings: int = 0
    seconds: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)
    shown: list[str] = field(default_factory=list)

    @property
    def per_thousand(self) -> float:
        return 1000 * self.findings / self.words if self.words else 0.0


def scan(
    engine: Any, tally: Tally, case: Case, texts: dict[str, str], label: str, show: bool
) -> None:
    private = engine.private_values_of(case.beneficiary(), case.consent)
    started = time.perf_counter()
    findings = engine.scan_texts(texts, private)
    tally.seconds += time.perf_counter() - started
    tally.words += sum(words(t) for t in texts.values())
    tally.findings += len(findings)
    for finding in findings:
        tally.kinds[finding.kind] += 1
        if show:
            tally.shown.append(f"  {label} / {case.key} / {finding.field}: {finding.context}")


def measure(engine: Any, show: bool) -> dict[str, Tally]:
    cases = demo_cases()
    # Dictionaries and patterns load on first use: time the scans, not the loading.
    for case in cases.values():
        engine.scan_texts(
            {"warm-up": "Warm-up, 1 2 3."},
            engine.private_values_of(case.beneficiary(), case.consent),
        )
    results: dict[str, Tally] = {"demo stories, own case": Tally()}
    for case in cases.values():
        scan(engine, results["demo stories, own case"], case, case.texts, "demo", show)
    for language, prose in ordinary_prose().items():
        tally = results.setdefault(f"ordinary {language}, every case", Tally())
        for case in cases.values():
            scan(engine, tally, case, {f"ordinary:{language}": prose}, language, show)
    total = results["ordinary prose, all"] = Tally()
    for name, tally in results.items():
        if name.startswith("ordinary ") and tally is not total:
            total.words += tally.words
            total.findings += tally.findings
            total.seconds += tally.seconds
    return results


def ratio(new: float, old: float) -> str:
    if old == 0:
        return "n/a" if new else "1.00 (both 0)"
    return f"{new / old:.2f}"


def report(current: dict[str, Tally], baseline: dict[str, Tally], out: Callable[[str], None]):
    prose_words = sum(words(t) for t in ordinary_prose().values())
    out(
        f"{len(demo_cases())} demo cases; ordinary prose: {prose_words} words in "
        f"{len(ordinary_prose())} languages, each scanned against every case."
    )
    out("")
    header = (
        f"{'corpus':<30} {'words scanned':>13} {'findings':>9} {'FP/1k words':>12} "
        f"{'baseline FP/1k':>15} {'ratio':>13} {'ms':>8} {'time ratio':>10}"
    )
    out(header)
    out("-" * len(header))
    for name, tally in current.items():
        old = baseline[name]
        out(
            f"{name:<30} {tally.words:>13} {tally.findings:>9} {tally.per_thousand:>12.3f} "
            f"{old.per_thousand:>15.3f} {ratio(tally.per_thousand, old.per_thousand):>13} "
            f"{1000 * tally.seconds:>8.1f} {ratio(tally.seconds, old.seconds):>10}"
        )
    out("")
    for label, results in (("current", current), (f"baseline {BASELINE_COMMIT}", baseline)):
        kinds = Counter[str]()
        for tally in results.values():
            kinds.update(tally.kinds)
        listed = ", ".join(f"{kind} {count}" for kind, count in kinds.most_common()) or "none"
        out(f"findings by kind, {label}: {listed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="print each finding in context")
    args = parser.parse_args()
    with baseline_engine() as old_engine:
        baseline = measure(old_engine, args.show)
    current = measure(safety, args.show)
    report(current, baseline, print)
    if args.show:
        for label, results in (("current", current), (f"baseline {BASELINE_COMMIT}", baseline)):
            print(f"\nfindings, {label}:")
            for tally in results.values():
                for line in tally.shown:
                    print(line)


if __name__ == "__main__":
    main()

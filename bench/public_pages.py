"""Throughput of the public site and API on 10,000 appeals, as a ratio to a minimal Flask page.

Builds a throw-away SQLite instance the way deployments do (migrations, demo data), adds
`--appeals` generated appeals (budget lines, translations in English, Polish and Belarusian,
updates, search documents), then starts gunicorn with 2 workers twice: once for ngo, once for
`bench/baseline_app.py` (Flask + Flask-SQLAlchemy + Jinja listing 20 rows of one table). wrk
drives each path for `--seconds` in `--rounds` alternating rounds, and the table prints
requests/s and the ratio to the baseline measured in the same run. The target is 0.6 as
deployed; rendered afresh (a second ngo server with the page cache off, so that every request
renders: a new query string, language or filter, a restart, any change to the public site),
0.3 for the list and the search and 0.5 for the appeal page and the API list.

With `--with-donations`, each round also measures the baseline and the cached pages while a
background sender confirms pending gifts through Stripe's signed webhook on the ngo server at 10
per second (bench/gifts.py: the donate form's gifts, a local Stripe stub, `ledger verify`
afterwards); their ratios print beside the quiet ones, to the baseline measured while gifts
were confirmed in the same round and to the quiet baseline.

    .venv/bin/python bench/public_pages.py [--appeals 10000] [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gifts import (  # bench/ is not a package
    GiftSender,
    add_redis_option,
    check_confirmed,
    empty_redis,
    ledger_problems,
    limiter_url,
    make_pending,
    public_site_version,
    stripe_env,
    stripe_stub,
)
from gunicorn_workers import (
    HOST,
    WorkerConfig,
    _get,
    _production_like_env,
    prepare_instance,
    running_gunicorn,
)

REPO = Path(__file__).resolve().parents[1]
TARGET = 0.6
# Rendered afresh (page cache off), by the start of the path's name.
FRESH_TARGETS = {"list": 0.3, "search": 0.3, "appeal page": 0.5, "API list": 0.5}
UNCACHED = " (no page cache)"
WITH_GIFTS = " (gifts confirmed)"
GIFTS_PER_SECOND = 10.0
TWO_SYNC_WORKERS = WorkerConfig("sync, 2 workers", ("--workers", "2", "--worker-class", "sync"))

ENGLISH = [
    "family",
    "rent",
    "lawyer",
    "prison",
    "release",
    "school",
    "children",
    "medicine",
    "treatment",
    "work",
    "retraining",
    "driver",
    "licence",
    "winter",
    "clothes",
    "refugee",
    "border",
    "court",
    "appeal",
    "support",
    "months",
    "deposit",
    "apartment",
    "food",
    "teacher",
    "journalist",
    "hospital",
    "dentist",
    "therapy",
    "laptop",
    "course",
    "exam",
]
POLISH = [
    "rodzina",
    "czynsz",
    "prawnik",
    "więzienie",
    "szkoła",
    "dzieci",
    "leczenie",
    "praca",
    "kurs",
    "kierowca",
    "zima",
    "odzież",
    "uchodźca",
    "granica",
    "sąd",
    "pomoc",
    "miesiące",
    "kaucja",
    "mieszkanie",
    "żywność",
    "nauczyciel",
    "dziennikarz",
    "szpital",
]
BELARUSIAN = [
    "сям'я",
    "кватэра",
    "адвакат",
    "турма",
    "школа",
    "дзеці",
    "лячэнне",
    "праца",
    "курсы",
    "вадзіцель",
    "зіма",
    "бежанец",
    "мяжа",
    "суд",
    "дапамога",
    "месяцы",
    "ежа",
    "настаўнік",
    "журналіст",
    "бальніца",
    "Мінск",
    "Гродна",
]
WORDS = {"en": ENGLISH, "pl": POLISH, "be": BELARUSIAN}
# Each appeal names one of these towns in its summary: a search for one matches about 5 %.
CITIES = [
    "Białystok",
    "Vilnius",
    "Warszawa",
    "Tbilisi",
    "Berlin",
    "Gdańsk",
    "Kraków",
    "Wrocław",
    "Poznań",
    "Łódź",
    "Lublin",
    "Batumi",
    "Kaunas",
    "Dresden",
    "Leipzig",
    "Riga",
    "Praha",
    "Brno",
    "Tallinn",
    "Kyiv",
]
SEARCH_WORD = "bialystok"


def _text(rng: random.Random, language: str, words: int) -> str:
    pool = WORDS[language]
    return " ".join(rng.choice(pool) for _ in range(words))


def generate(appeal_count: int, seed: int = 7) -> str:
    """Insert the appeals with SQLAlchemy Core in batches; returns one generated slug."""
    from sqlalchemy import insert, select

    from ngo import create_app
    from ngo.campaigns import search
    from ngo.campaigns.models import (
        Appeal,
        AppealSearchDocument,
        AppealTranslation,
        AppealUpdate,
        BudgetLine,
        BudgetLineLabel,
        new_public_slug,
    )
    from ngo.extensions import db
    from ngo.timeutil import utcnow
    from ngo.unit_of_work import transaction

    rng = random.Random(seed)
    app = create_app()
    with app.app_context():
        template = db.session.scalars(select(Appeal).limit(1)).one()
        first_id = (db.session.scalar(select(Appeal.id).order_by(Appeal.id.desc())) or 0) + 1
        line_id = (db.session.scalar(select(BudgetLine.id).order_by(BudgetLine.id.desc())) or 0) + 1
        now = utcnow()
        batch: dict[str, list[dict[str, object]]] = {}

        def flush() -> None:
            with transaction() as session:  # one batch, one unit of work
                for model in (
                    Appeal,
                    AppealTranslation,
                    BudgetLine,
                    BudgetLineLabel,
                    AppealUpdate,
                    AppealSearchDocument,
                ):
                    rows = batch.pop(model.__tablename__, [])
                    if rows:
                        session.execute(insert(model), rows)

        def add(model: type, **row: object) -> None:
            batch.setdefault(model.__tablename__, []).append(row)

        some_slug = ""
        for n in range(appeal_count):
            appeal_id = first_id + n
            languages = ["en", *rng.sample(["pl", "be"], rng.randint(0, 2))]
            fallback = rng.choice(languages)
            amounts = [rng.randint(5, 300) * 1000 for _ in range(rng.randint(3, 5))]
            goal = sum(amounts)
            funded_share = rng.random()
            slug = new_public_slug()
            city = rng.choice(CITIES)
            some_slug = some_slug or slug
            texts: list[str] = []
            for language in languages:
                title = _text(rng, language, 6).capitalize()
                summary = f"{_text(rng, language, 20)} {city} {_text(rng, language, 5)}"
                story = "\n\n".join(_text(rng, language, 60) for _ in range(4))
                texts += [title, summary, story]
                add(
                    AppealTranslation,
                    appeal_id=appeal_id,
                    language=language,
                    title=title,
                    summary=summary,
                    story_markdown=story,
                    display_name="",
                )
            raised = 0
            for priority, amount in enumerate(amounts, start=1):
                funded = int(amount * funded_share)
                raised += funded
                label = _text(rng, fallback, 3).capitalize()
                texts.append(label)
                add(
                    BudgetLine,
                    id=line_id,
                    appeal_id=appeal_id,
                    amount_minor=amount,
                    priority=priority,
                    essential=priority <= 2,
                    funded_minor=funded,
                    spent_minor=funded // 2,
                )
                add(
                    BudgetLineLabel,
                    budget_line_id=line_id,
                    language=fallback,
                    label=label,
                    description=_text(rng, fallback, 10),
                )
                line_id += 1
            published = now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1440))
            last_update = None
            for k in range(rng.randint(0, 3)):
                last_update = published + timedelta(days=10 * (k + 1))
                add(
                    AppealUpdate,
                    public_id=new_public_slug(),
                    appeal_id=appeal_id,
                    language=fallback,
                    title=_text(rng, fallback, 5).capitalize(),
                    body_markdown=_text(rng, fallback, 50),
                    state="published",  # approved, as every public update is
                    posted_at=last_update,
                )
            add(
                Appeal,
                id=appeal_id,
                slug=slug,
                organisation_id=template.organisation_id,
                beneficiary_id=template.beneficiary_id,
                story_version_id=template.story_version_id,
                status="funded" if funded_share > 0.95 else "published",
                currency=rng.choice(["EUR", "PLN"]),
                fallback_language=fallback,
                country=rng.choice(["PL", "LT", "DE", "GE", "UA"]),
                categories=",".join(
                    sorted(
                        set(rng.sample(["families", "legal", "medical", "political_prisoners"], 2))
                    )
                ),
                deadline=(now + timedelta(days=rng.randint(5, 300))).date()
                if rng.random() < 0.5
                else None,
                update_interval_days=60,
                created_at=published,
                published_at=published,
                last_update_at=last_update,
                raised_minor=raised,
                donations_count=raised // 2_500,
                goal_minor=goal,
                essential_minor=sum(amounts[:2]),
                listed=True,
                listed_until=None,
            )
            add(AppealSearchDocument, appeal_id=appeal_id, document=search.document_for(texts))
            if (n + 1) % 1000 == 0:
                flush()
        flush()
        return some_slug


def gunicorn(app_spec: str, env: dict[str, str], workdir: Path, cwd: Path):
    return running_gunicorn(
        TWO_SYNC_WORKERS, env, workdir, app_spec=app_spec, cwd=cwd, ready_path="/"
    )


def wrk(port: int, path: str, seconds: float, connections: int) -> tuple[float, int]:
    """Requests per second of 200 answers, and the number of other answers."""
    result = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "-H",
            "Accept-Language: en",
            f"http://{HOST}:{port}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", result.stdout)
    errors = re.search(r"Socket errors:.*timeout (\d+)", result.stdout)
    return rps, (int(bad.group(1)) if bad else 0) + (int(errors.group(1)) if errors else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appeals", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--with-donations",
        action="store_true",
        help=f"also measure the baseline and the cached pages while gifts are confirmed "
        f"through the signed webhook at {GIFTS_PER_SECOND:g} per second",
    )
    add_redis_option(parser)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    with tempfile.TemporaryDirectory(prefix="ngo-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        env = _production_like_env(workdir / "instance")
        prepare_instance(env)
        os.environ.update(env)
        started = time.perf_counter()
        slug = generate(args.appeals)
        print(f"generated {args.appeals} appeals in {time.perf_counter() - started:.1f} s")
        database_url = f"sqlite:///{workdir / 'instance' / 'ngo.sqlite'}"
        baseline_env = {**env, "DATABASE_URL": database_url}
        paths = {
            "list /appeals": "/appeals",
            f"search ?q={SEARCH_WORD}": f"/appeals?q={SEARCH_WORD}",
            "appeal page": f"/appeals/{slug}",
            "API list": "/api/v1/appeals",
        }
        # As deployed: the rate limiter counts in Redis, public reading in batches
        # (ngo+redis://; its in-memory store starts a timer thread every few requests), and
        # the broker is Redis too.
        empty_redis(args.redis)
        if args.redis != "off":
            env = {**env, "RATELIMIT_STORAGE_URI": limiter_url(args.redis)}
            env["CELERY_BROKER_URL"] = args.redis
        ngo_env = env
        uncached_env = {**env, "NGO_PUBLIC_PAGE_CACHE": "0"}
        runs = [("baseline", "base", "/")]
        for name, path in paths.items():
            runs += [(name, "ngo", path), (f"{name}{UNCACHED}", "uncached", path)]
        gifts = []
        seeded: tuple[int, set[str]] = (0, set())
        if args.with_donations:
            runs += [(f"baseline{WITH_GIFTS}", "base", "/")]
            runs += [(f"{name}{WITH_GIFTS}", "ngo", path) for name, path in paths.items()]
            seeded = ledger_problems(env)
            # Enough for every run with gifts, and a margin for the pacing.
            wanted = int(args.rounds * (len(paths) + 1) * (args.seconds + 2) * GIFTS_PER_SECOND)
            gifts = make_pending(wanted + 50)
            stub_url = stack.enter_context(stripe_stub(gifts))
            ngo_env = {**stripe_env(env, args.redis), "STRIPE_API_BASE": stub_url}
        results: dict[str, list[float]] = {name: [] for name, _, _ in runs}
        failures: dict[str, int] = dict.fromkeys(results, 0)
        base_port = stack.enter_context(
            gunicorn("baseline_app:app", baseline_env, workdir, REPO / "bench")
        )
        ngo_port = stack.enter_context(gunicorn("ngo:create_app()", ngo_env, workdir, REPO))
        uncached_port = stack.enter_context(
            gunicorn("ngo:create_app()", uncached_env, workdir, REPO)
        )
        ports = {"base": base_port, "ngo": ngo_port, "uncached": uncached_port}
        for path in paths.values():  # warm-up, and every path must answer 200
            for port in (ngo_port, uncached_port):
                status = _get(port, path)
                if status != 200:
                    raise SystemExit(f"{path} answered {status}")
        sender = GiftSender(ngo_port, iter(gifts), GIFTS_PER_SECOND)
        version_before = public_site_version() if args.with_donations else 0
        for _ in range(args.rounds):
            for name, server, path in runs:
                with sender if name.endswith(WITH_GIFTS) else ExitStack():
                    rps, bad = wrk(ports[server], path, args.seconds, args.connections)
                results[name].append(rps)
                failures[name] += bad
        stack.close()  # the servers stop before the gifts are checked
        report(args, results, failures)
        if args.with_donations:
            versions = (version_before, public_site_version())
            report_gifts(sender, check_confirmed(sender.sent, env, seeded), versions)
        empty_redis(args.redis)


def report_gifts(sender: GiftSender, problems: list[str], versions: tuple[int, int]) -> None:
    answered = sum(sender.statuses.values())
    ok = sender.statuses.get(200, 0)
    print(
        f"\ngifts sent through the webhook: {len(sender.sent)} in {sender.active_seconds:.0f} s "
        f"({len(sender.sent) / max(sender.active_seconds, 1e-9):.1f}/s), {ok} of {answered} "
        f"answered 200 {dict(sorted(sender.statuses.items()))}"
    )
    print(
        f"public site version (the page cache's key) before the runs {versions[0]}, after "
        f"{versions[1]}"
    )
    print("every gift confirmed once; ledger verify found nothing new" if not problems else "")
    for problem in problems:
        print(f"problem: {problem}")


def _target(name: str) -> float | None:
    if name == "baseline":
        return None
    if not name.endswith(UNCACHED):
        return TARGET
    return next(t for start, t in FRESH_TARGETS.items() if name.startswith(start))


def _cells(values: list[float], base: list[float]) -> tuple[float, float, str]:
    """Mean requests/s, its ratio to the (quiet) baseline's mean, the range of per-round ratios."""
    mean = sum(values) / len(values)
    ratios = [v / b for v, b in zip(values, base, strict=True)]
    return mean, mean / (sum(base) / len(base)), f"{min(ratios):.2f}-{max(ratios):.2f}"


def report(
    args: argparse.Namespace, results: dict[str, list[float]], failures: dict[str, int]
) -> None:
    """One row per path; with --with-donations the same path measured while gifts were
    confirmed sits beside it, as a ratio to the baseline measured while gifts were confirmed
    in the same round, and to the quiet baseline."""
    base = results["baseline"]
    print(
        f"\nngo public pages: {os.cpu_count()} CPUs, {args.appeals} appeals, SQLite, gunicorn "
        f"2 sync workers, wrk {args.connections} connections, {args.rounds} x {args.seconds:g} s"
        f", 1-min load after {os.getloadavg()[0]:.2f}"
    )
    header = f"{'path':<40} {'req/s':>7} {'ratio':>6} {'range':>10} {'errors':>6}  target"
    busy_base = results.get(f"baseline{WITH_GIFTS}")
    if busy_base:
        header += f" | {GIFTS_PER_SECOND:g} gifts/s: {'req/s':>6} {'ratio':>6} {'range':>10}"
        header += f" {'errors':>6}  target    {'vs quiet':>8}"
    print(header)
    print("-" * len(header))
    for name, values in results.items():
        if name.endswith(WITH_GIFTS):
            continue
        mean, ratio, spread = _cells(values, base)
        target = _target(name)
        verdict = "" if target is None else f"{target:.1f} {'ok' if ratio >= target else 'below'}"
        line = f"{name:<40} {mean:>7.0f} {ratio:>6.2f} {spread:>10} {failures[name]:>6}  "
        line += f"{verdict:<8}"
        busy = results.get(f"{name}{WITH_GIFTS}")
        if busy and busy_base:
            mean, ratio, spread = _cells(busy, busy_base)
            quiet = _cells(busy, base)[1]
            verdict = (
                "" if target is None else f"{TARGET:.1f} {'ok' if ratio >= TARGET else 'below'}"
            )
            errors = failures[f"{name}{WITH_GIFTS}"]
            line += f" | {'':>12} {mean:>6.0f} {ratio:>6.2f} {spread:>10} {errors:>6}  "
            line += f"{verdict:<8}  {quiet:>8.2f}"
        print(line.rstrip())
    if busy_base:
        print(
            "with gifts, `ratio` is to the baseline measured while gifts were confirmed in the "
            "same round (both share the host with the webhook's work); `vs quiet` divides by "
            "the quiet baseline instead"
        )
    if any(math.isnan(v) for v in base):
        raise SystemExit("baseline did not run")


if __name__ == "__main__":
    main()

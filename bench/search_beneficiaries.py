"""How fast is name search over encrypted names, and does it stay one query as cases grow?

Fills a throw-away database with --count beneficiaries (encrypted names and blind-index rows,
as the application writes them), then times `list_cases(..., CaseFilters(name=...))` for
random existing names against a plain lookup by the unique, indexed case reference, and
counts the SQL statements per search at a small and at the full size. Nothing is asserted
about time: the numbers are printed for a human to read.

    .venv/bin/python bench/search_beneficiaries.py                 # SQLite, 50,000 people
    .venv/bin/python bench/search_beneficiaries.py --count 5000 --searches 50
    .venv/bin/python bench/search_beneficiaries.py --database-url postgresql://u:p@host/empty_db
"""

# ruff: noqa: RUF001  (Cyrillic names on purpose: they go through the real transliteration)

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import event, insert, inspect, select, text  # noqa: E402

from ngo import create_app  # noqa: E402
from ngo.accounts.models import Organisation  # noqa: E402
from ngo.cases.listing import CaseFilters, list_cases  # noqa: E402
from ngo.cases.models import Beneficiary, BeneficiaryNameIndex  # noqa: E402
from ngo.cases.names import name_tokens  # noqa: E402
from ngo.cases.services import NAME_INDEX_PURPOSE  # noqa: E402
from ngo.crypto import blind_index  # noqa: E402
from ngo.extensions import db  # noqa: E402
from ngo.timeutil import utcnow  # noqa: E402
from ngo.unit_of_work import transaction  # noqa: E402

FIRST_NAMES = (
    "Аляксандр", "Сяргей", "Андрэй", "Дзмітрый", "Уладзімір", "Мікалай", "Павел", "Віктар",
    "Ігар", "Алег", "Юрый", "Максім", "Іван", "Аляксей", "Міхаіл", "Яўген", "Вадзім", "Раман",
    "Антон", "Дзяніс", "Вольга", "Таццяна", "Наталля", "Алена", "Ірына", "Святлана", "Марына",
    "Людміла", "Юлія", "Ганна", "Кацярына", "Вікторыя", "Марыя", "Надзея", "Ксенія", "Дар'я",
    "Ala", "Paulina", "Tomasz", "Ołena",
)  # fmt: skip
SURNAME_ROOTS = (
    "Кавал", "Шаўч", "Бондар", "Ткач", "Мельн", "Крав", "Лысен", "Сав", "Пятр", "Гаўрыл",
    "Зяльц", "Карп", "Лукаш", "Баран", "Грыц", "Дуб", "Жук", "Кляц", "Марозав", "Навум",
    "Пашк", "Радзівон", "Стральц", "Тарас", "Усц", "Фёдар", "Харытон", "Цімаш", "Чарн", "Шыл",
    "Яцк", "Малін", "Багдан", "Васіл", "Гардзей", "Дзям", "Ермал", "Зуб", "Калін", "Лаўр",
)  # fmt: skip
SURNAME_ENDINGS = ("енка", "чук", "эвіч", "скі", "ук", "ёнак", "ава", "ін", "эр")
NICKNAMES = ("Sasha", "Sierzh", "Andrei", "Dima", "Valodzia", "Kola", "Pasha", "Vitia", None)

# Variables that would point the benchmark at real services.
SCRUBBED_ENV = ("DATABASE_URL", "CELERY_BROKER_URL", "MAIL_URL", "RATELIMIT_STORAGE_URI")


@dataclass
class Measurement:
    label: str
    size: int
    median_ms: float
    p90_ms: float
    statements: set[int]
    median_matches: float


def _progress(message: str) -> None:
    print(message, flush=True)


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def random_person(rng: random.Random) -> tuple[str, str | None]:
    surname = rng.choice(SURNAME_ROOTS) + rng.choice(SURNAME_ENDINGS)
    return f"{rng.choice(FIRST_NAMES)} {surname}", rng.choice(NICKNAMES)


def insert_people(organisation_id: int, first_id: int, count: int, rng: random.Random) -> None:
    """Bulk inserts through Core: EncryptedText still encrypts every name on the way in."""
    table = Beneficiary.__table__
    start = time.perf_counter()
    created = utcnow()
    batch = 2000
    for offset in range(0, count, batch):
        people, tokens = [], []
        for n in range(first_id + offset, first_id + min(offset + batch, count)):
            legal, public = random_person(rng)
            people.append(
                {
                    "id": n,
                    "reference": secrets.token_urlsafe(9),
                    "organisation_id": organisation_id,
                    "status": "active",
                    "risk_level": "medium",
                    "created_at": created - timedelta(seconds=n),
                    "updated_at": created,
                    "legal_name": legal,
                    "public_name": public,
                }
            )
            tokens.extend(
                {
                    "beneficiary_id": n,
                    "organisation_id": organisation_id,
                    "token": blind_index(NAME_INDEX_PURPOSE, token),
                }
                for token in sorted(name_tokens(f"{legal} {public or ''}"))
            )
        with transaction() as session:  # one batch, one unit of work
            session.execute(insert(table), people)
            session.execute(insert(BeneficiaryNameIndex.__table__), tokens)
        done = min(offset + batch, count)
        if done % 10_000 == 0 or done == count:
            _progress(f"  inserted {done:>6}/{count} ({time.perf_counter() - start:.1f} s)")
    # Planner statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE would keep them.
    with transaction() as session:
        session.execute(text("ANALYZE"))


def _timed(
    calls: list[Callable[[], int]],
) -> tuple[list[float], set[int], list[int]]:
    timings, statements, results = [], set(), []
    for call in calls:
        # A fresh identity map, as each web request has: every search loads (and decrypts)
        # its rows instead of finding them cached from the previous one.
        db.session.expunge_all()
        with counted_statements() as seen:
            began = time.perf_counter()
            results.append(call())
            timings.append((time.perf_counter() - began) * 1000)
        statements.add(len(seen))
    return timings, statements, results


def _summary(
    label: str, size: int, timings: list[float], statements: set[int], results: list[int]
) -> Measurement:
    return Measurement(
        label,
        size,
        statistics.median(timings),
        statistics.quantiles(timings, n=10)[-1] if len(timings) > 1 else timings[0],
        statements,
        statistics.median(results),
    )


def measure(
    organisation_id: int, size: int, searches: int, rng: random.Random
) -> list[Measurement]:
    sample = db.session.execute(
        select(Beneficiary.id, Beneficiary.reference, Beneficiary.legal_name)
        .where(Beneficiary.organisation_id == organisation_id)
        .order_by(Beneficiary.id)
    ).all()
    picks = [rng.choice(sample) for _ in range(searches)]

    def search(name: str) -> Callable[[], int]:
        def run() -> int:
            rows, total = list_cases(organisation_id, CaseFilters(name=name))
            [b.display_label for b in rows]  # what the list page reads of each row
            return total

        return run

    def lookup(reference: str) -> Callable[[], int]:
        def run() -> int:
            found = db.session.scalars(
                select(Beneficiary).where(Beneficiary.reference == reference)
            ).one()
            return 1 if found.display_label else 0

        return run

    _timed([search(p.legal_name) for p in picks[:5]])  # warm caches and compiled statements
    results = [
        _summary("search by full name", size, *_timed([search(p.legal_name) for p in picks])),
        _summary(
            "search by first name only",
            size,
            *_timed([search(p.legal_name.split()[0]) for p in picks[: max(1, searches // 4)]]),
        ),
        _summary("baseline: by reference", size, *_timed([lookup(p.reference) for p in picks])),
    ]
    return results


def _print(measurements: list[Measurement]) -> None:
    print()
    print(
        f"{'what':<28} {'people':>7} {'median ms':>10} {'p90 ms':>8} {'SQL/call':>9} {'matches':>8}"
    )
    for m in measurements:
        statements = ",".join(str(s) for s in sorted(m.statements))
        print(
            f"{m.label:<28} {m.size:>7} {m.median_ms:>10.2f} {m.p90_ms:>8.2f} "
            f"{statements:>9} {m.median_matches:>8.1f}"
        )
    by_size: dict[int, dict[str, Measurement]] = {}
    for m in measurements:
        by_size.setdefault(m.size, {})[m.label] = m
    print()
    for size, row in by_size.items():
        ratio = row["search by full name"].median_ms / row["baseline: by reference"].median_ms
        print(f"{size:>7} people: search / baseline = {ratio:.1f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=50_000, help="beneficiaries (default 50000)")
    parser.add_argument("--small", type=int, default=1_000, help="size of the first measurement")
    parser.add_argument("--searches", type=int, default=200, help="searches per measurement")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        help="an EMPTY PostgreSQL database to use instead of a temporary SQLite file; "
        "its tables are dropped at the end",
    )
    args = parser.parse_args(argv)
    if not 0 < args.small < args.count:
        parser.error("--small must be between 0 and --count")
    for name in SCRUBBED_ENV:
        os.environ.pop(name, None)
    rng = random.Random(args.seed)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ngo-bench-") as tmp:
        os.environ["NGO_INSTANCE_PATH"] = tmp
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        app = create_app(
            {
                "NGO_ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
                "CELERY_BROKER_URL": "memory://",
                "RATELIMIT_STORAGE_URI": "memory://",
                "MAIL_URL": f"file://{Path(tmp) / 'outbox'}",
                "NGO_DATA_KEYS": Fernet.generate_key().decode(),
                "NGO_INDEX_KEY": secrets.token_urlsafe(48),
            }
        )
        with app.app_context():
            if inspect(db.engine).get_table_names():
                raise SystemExit("The database is not empty: give an empty one.")
            db.create_all()
            try:
                with transaction() as session:
                    organisation = Organisation(name="Benchmark")
                    session.add(organisation)
                print(f"Database: {db.engine.url.get_backend_name()}; inserting {args.small}")
                insert_people(organisation.id, 1, args.small, rng)
                measurements = measure(organisation.id, args.small, args.searches, rng)
                print(f"Inserting {args.count - args.small} more")
                insert_people(organisation.id, args.small + 1, args.count - args.small, rng)
                measurements += measure(organisation.id, args.count, args.searches, rng)
            finally:
                db.session.remove()  # end the measurements' read transaction before dropping
                if args.database_url:
                    db.drop_all()
                db.engine.dispose()
    _print(measurements)
    print(f"\nTotal time {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

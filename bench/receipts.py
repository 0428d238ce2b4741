"""Receipts per minute with two worker processes, as a ratio to bare WeasyPrint rendering of
the same receipt's HTML in two processes, measured in the same run (target: at least 0.8).

A throw-away instance in production mode (as bench/gunicorn_workers.py makes it: migrations,
then the demo data) gets `--receipts` gifts per round, each confirmed through the one path
every payment ends in (`confirm_donation`, by ngo/demo/gifts.py), which writes its
`donations.receipt` outbox message. Two worker processes then take the messages from a shared
queue, one at a time as Celery's prefetch of one does, and run each through `outbox.deliver`:
the claim, the handler (the receipt's number under the counter's lock, the PDF rendered by
`render_pdf`, encrypted and stored with its SHA-256, the e-mail with the PDF attached sent
over SMTP to a local sink, bench/smtp_sink.py, which stands for the organisation's mail
server; `--sink aiosmtpd` uses the tests' aiosmtpd instead, whose line-by-line reading of a
receipt's 20 kB costs about 1.5 ms of the same two cores) and the mark that it was sent,
each a committed transaction, exactly as the Celery task runs it (the broker's hop is left
out: it is the same for any task), in processes started as Celery starts its children
(worker_process_init: the warm-ups). The
baseline is two processes rendering the HTML of one of those receipts with `render_pdf` as
many times, from the same kind of queue. Both warm up (one render) before the clock starts;
rounds alternate which one goes first; the ratio is the median of the rounds'.

Afterwards every gift must have exactly one receipt, the numbers must run without a gap and
the sink must hold one message with a PDF per gift.

    .venv/bin/python bench/receipts.py [--receipts 60] [--rounds 3]
    .venv/bin/python bench/receipts.py --database-url postgresql://u:p@host/empty_db
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gunicorn_workers import _production_like_env, prepare_instance  # bench/ is not a package

TARGET = 0.8
WORKERS = 2
DONOR_NAMES = ("Zażółć Gęślą-Jaźń", "Наталля Ярошка", "Олена Шевчук", "Anna Kowalska")


class Sink:
    """An SMTP server that keeps only what the check needs: how many messages, with a PDF."""

    def __init__(self) -> None:
        self.messages = 0
        self.with_pdf = 0

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        self.messages += 1
        if b"application/pdf" in envelope.content:
            self.with_pdf += 1
        return "250 OK"


def _worker(mode: str, jobs: Any, ready: Any, done: Any, html: str) -> None:
    """One worker process: warm up, then take jobs until told to stop, saying when each is
    done."""
    from celery.signals import worker_process_init

    from ngo import create_app, outbox
    from ngo.reports import pdf
    from ngo.reports.receipts import document

    rendering = [0.0]

    def timed_render(*args: Any, **kwargs: Any) -> bytes:
        started = time.perf_counter()
        try:
            return pdf.render_pdf(*args, **kwargs)
        finally:
            rendering[0] += time.perf_counter() - started

    document.render_pdf = timed_render  # type: ignore[assignment]  # the time spent rendering
    app = create_app()
    # What Celery's prefork child does as it starts: the domains' warm-ups (ngo/celery_app.py).
    worker_process_init.send(sender=None)
    css = document.stylesheet()
    pdf.render_pdf(html, stylesheet=css)  # fonts loaded, modules imported: before the clock
    ready.release()
    with app.app_context():
        while (job := jobs.get()) is not None:
            rendering[0] = 0.0
            if mode == "receipts":
                if not outbox.deliver(job):
                    raise SystemExit(f"outbox message {job} was not delivered")
            else:
                timed_render(html, stylesheet=css)
            done.put(rendering[0])


class Workers:
    """Two processes of one mode ("receipts" or "bare"), kept for the whole run, so that the
    modes can take turns in small batches: a load that comes and goes on the host (other
    processes) then slows both alike."""

    def __init__(self, mode: str, html: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.mode = mode
        self.jobs = context.Queue()
        self.done = context.Queue()
        ready = context.Semaphore(0)
        self.processes = [
            context.Process(target=_worker, args=(mode, self.jobs, ready, self.done, html))
            for _ in range(WORKERS)
        ]
        for process in self.processes:
            process.start()
        for _ in self.processes:
            if not ready.acquire(timeout=180):
                raise SystemExit(f"a {mode} worker did not start")

    def run(self, batch: list[int]) -> tuple[float, float]:
        """Seconds for the two processes to finish the batch, and the seconds they spent
        in render_pdf."""
        started = time.monotonic()
        for job in batch:
            self.jobs.put(job)
        rendering = sum(self.done.get(timeout=600) for _ in batch)
        return time.monotonic() - started, rendering

    def stop(self) -> None:
        for _ in self.processes:
            self.jobs.put(None)
        for process in self.processes:
            process.join(timeout=60)
            if process.exitcode != 0:
                raise SystemExit(f"a {self.mode} worker failed (exit code {process.exitcode})")


def make_gifts(app: Any, count: int, round_number: int) -> list[int]:
    """Confirmed gifts to the seed appeal; returns their receipts' outbox message ids."""
    from sqlalchemy import select

    from ngo.campaigns.models import Appeal
    from ngo.demo.gifts import demo_gift
    from ngo.donations.confirmation import RECEIPT_KIND
    from ngo.extensions import db
    from ngo.outbox import OutboxMessage
    from ngo.unit_of_work import transaction

    with app.app_context(), transaction() as session:
        appeal = session.scalars(
            select(Appeal).where(Appeal.status == "published").order_by(Appeal.id)
        ).first()
        assert appeal is not None, "the demo data has a published appeal"
        before = session.scalar(select(db.func.max(OutboxMessage.id))) or 0
        for number in range(count):
            demo_gift(
                appeal,
                2_500 + number,
                donor_email=f"bench{round_number}-{number}@example.org",
                donor_name=DONOR_NAMES[number % len(DONOR_NAMES)],
                locale=("pl", "be", "uk", "en")[number % 4],
            )
        session.flush()
        # The after-commit hand-over to a broker is for production: here the workers take them.
        session.info.pop("outbox_committed", None)
        return list(
            session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.id > before, OutboxMessage.kind == RECEIPT_KIND)
                .order_by(OutboxMessage.id)
            )
        )


def sample_html(app: Any) -> str:
    """The HTML of one real receipt, issued for a gift made for the purpose."""
    from ngo.donations.models import Donation
    from ngo.extensions import db
    from ngo.outbox import OutboxMessage
    from ngo.reports.receipts import document, issuing
    from ngo.unit_of_work import transaction

    (message_id,) = make_gifts(app, 1, 0)
    with app.app_context():
        message = db.session.get_one(OutboxMessage, message_id)
        with transaction():
            donation = db.session.get_one(Donation, message.payload["donation_id"])
            receipt = issuing.issue_receipt(donation)
            assert receipt is not None
            message.sent_at = message.created_at
        return document.receipt_html(receipt)


def check(app: Any, sink: Any, expected_mails: int) -> None:
    from sqlalchemy import select

    from ngo.extensions import db
    from ngo.reports.receipts.models import Receipt

    with app.app_context():
        rows = db.session.execute(
            select(Receipt.sequence, Receipt.donation_id).order_by(Receipt.sequence)
        ).all()
        numbered = {donation_id for _seq, donation_id in rows}
        if [seq for seq, _ in rows] != list(range(1, len(rows) + 1)):
            raise SystemExit("receipt numbers have a gap or a repeat")
        if len(numbered) != len(rows):
            raise SystemExit("a gift has more than one receipt")
    if sink.messages != expected_mails or sink.with_pdf != expected_mails:
        raise SystemExit(
            f"the sink got {sink.messages} mails ({sink.with_pdf} with a PDF), "
            f"expected {expected_mails}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--receipts", type=int, default=60, help="receipts per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8, help="jobs per turn of each mode")
    parser.add_argument("--database-url", help="an EMPTY PostgreSQL database (else SQLite)")
    parser.add_argument(
        "--sink", choices=("lean", "aiosmtpd"), default="lean", help="the local SMTP server"
    )
    args = parser.parse_args(argv)
    if min(args.receipts, args.rounds, args.batch) < 1:
        parser.error("--receipts, --rounds and --batch must be at least 1")

    sink, port, stop_sink = _start_sink(args.sink)
    with tempfile.TemporaryDirectory(prefix="ngo-bench-receipts-") as folder:
        env = _production_like_env(Path(folder))
        env["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        env["CELERY_BROKER_URL"] = "memory://"
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        prepare_instance(env)
        os.environ.update(env)
        from ngo import create_app
        from ngo.reports.pdf import harfbuzz_subset_available

        app = create_app()
        # The demo's own receipts are not part of the measurement.
        _deliver_demo_receipts(app)
        demo_mails = sink.messages
        html = sample_html(app)
        ratios = []
        print(
            f"{WORKERS} processes, {args.receipts} receipts per round in batches of "
            f"{args.batch}, {args.sink} SMTP sink, font subsetting by "
            f"{'HarfBuzz' if harfbuzz_subset_available() else 'fontTools'}"
        )
        pools = {mode: Workers(mode, html) for mode in ("bare", "receipts")}
        for round_number in range(1, args.rounds + 1):
            message_ids = make_gifts(app, args.receipts, round_number)
            seconds = {"bare": 0.0, "receipts": 0.0}
            rendering = {"bare": 0.0, "receipts": 0.0}
            for start in range(0, len(message_ids), args.batch):
                batch = message_ids[start : start + args.batch]
                turn = ("bare", "receipts") if (start // args.batch) % 2 else ("receipts", "bare")
                for mode in turn:
                    elapsed, rendered = pools[mode].run(batch)
                    seconds[mode] += elapsed
                    rendering[mode] += rendered
            rates = {mode: args.receipts * 60 / spent for mode, spent in seconds.items()}
            ratio = rates["receipts"] / rates["bare"]
            ratios.append(ratio)
            print(
                f"round {round_number}: receipts {rates['receipts']:.0f}/min, bare render "
                f"{rates['bare']:.0f}/min, ratio {ratio:.2f}; render_pdf "
                f"{rendering['receipts'] * 1000 / args.receipts:.0f} ms a receipt, "
                f"{rendering['bare'] * 1000 / args.receipts:.0f} ms bare"
            )
            check(app, sink, demo_mails + round_number * args.receipts)
        for pool in pools.values():
            pool.stop()
    stop_sink()
    median = statistics.median(ratios)
    verdict = "meets" if median >= TARGET else "misses"
    print(f"median ratio {median:.2f} ({verdict} the target of {TARGET})")
    return 0


def _start_sink(kind: str) -> tuple[Any, int, Any]:
    """The local SMTP server, its port, and how to stop it."""
    if kind == "lean":
        from smtp_sink import LeanSink

        lean = LeanSink()
        lean.start()
        return lean, lean.port, lean.stop
    from aiosmtpd.controller import Controller

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.smtp_server import free_port

    # The sink logs every SMTP command at INFO: it would bill the parent's logging to the
    # receipts' side of the ratio.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return sink, port, controller.stop


def _deliver_demo_receipts(app: Any) -> None:
    from sqlalchemy import select

    from ngo import outbox
    from ngo.extensions import db
    from ngo.outbox import OutboxMessage

    with app.app_context():
        pending = db.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))
        ).all()
        for message_id in pending:
            outbox.deliver(message_id)


if __name__ == "__main__":
    raise SystemExit(main())

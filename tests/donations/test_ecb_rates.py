"""The ECB's euro reference rates: the parser on the real file shapes (daily and 90-day
history, as the ECB writes them: single-quoted attributes and tabs, or one long line), refusals
of malformed files, idempotent storing, the CLI, and the beat task against a local HTTP
server (never the internet), whose failures staff see on the rates page."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ngo.donations import ecb, tasks
from ngo.donations.models import ExchangeRate, RateFetchFailure
from ngo.extensions import db
from tests.conftest import login

FIXTURES = Path(__file__).parent / "fixtures"
DAILY = (FIXTURES / "eurofxref-daily.xml").read_bytes()
HISTORY = (FIXTURES / "eurofxref-hist-90d.xml").read_bytes()


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(ExchangeRate)) or 0


def test_the_daily_file_is_read_exactly():
    rates, skipped = ecb.parse_reference_rates(DAILY)
    assert skipped == ()
    assert len(rates) == 30
    by_code = {r.currency: r for r in rates}
    assert by_code["PLN"].rate == Decimal("4.2608")
    assert str(by_code["GBP"].rate) == "0.85578"
    assert str(by_code["ISK"].rate) == "150.50"
    assert {r.rate_date for r in rates} == {date(2024, 5, 17)}


def test_the_90_day_history_is_read_day_by_day():
    rates, _ = ecb.parse_reference_rates(HISTORY)
    days = {r.rate_date for r in rates}
    assert days == {date(2024, 5, d) for d in (14, 15, 16, 17)}
    assert next(
        r for r in rates if r.rate_date == date(2024, 5, 14) and r.currency == "USD"
    ).rate == (Decimal("1.0814"))


def _envelope(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
        'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">'
        f"<Cube>{body}</Cube></gesmes:Envelope>"
    ).encode()


MALFORMED = {
    "empty": b"",
    "not xml": b"USD;1.0866\nPLN;4.2608\n",
    "cut off": DAILY[: len(DAILY) // 2],
    "html error page": b"<html><body>Service unavailable</body></html>",
    "entity bomb": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
    "no rates": _envelope(""),
    "day without rates": _envelope("<Cube time='2024-05-17'></Cube>"),
    "bad date": _envelope("<Cube time='17.05.2024'><Cube currency='USD' rate='1.08'/></Cube>"),
    "no date": _envelope("<Cube><Cube currency='USD' rate='1.08'/></Cube>"),
    "bad rate": _envelope("<Cube time='2024-05-17'><Cube currency='USD' rate='1,0866'/></Cube>"),
    "negative rate": _envelope("<Cube time='2024-05-17'><Cube currency='USD' rate='-1'/></Cube>"),
    "zero rate": _envelope("<Cube time='2024-05-17'><Cube currency='USD' rate='0'/></Cube>"),
    "infinite rate": _envelope("<Cube time='2024-05-17'><Cube currency='USD' rate='Inf'/></Cube>"),
    "bad code": _envelope("<Cube time='2024-05-17'><Cube currency='usd' rate='1.08'/></Cube>"),
    "twice a currency": _envelope(
        "<Cube time='2024-05-17'><Cube currency='USD' rate='1.08'/>"
        "<Cube currency='USD' rate='1.09'/></Cube>"
    ),
    "twice a day": _envelope(
        "<Cube time='2024-05-17'><Cube currency='USD' rate='1.08'/></Cube>"
        "<Cube time='2024-05-17'><Cube currency='PLN' rate='4.2'/></Cube>"
    ),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_file_is_refused_and_stores_nothing(app, name):
    with pytest.raises(ecb.EcbFormatError) as refused:
        ecb.import_reference_rates(MALFORMED[name])
    assert str(refused.value)
    assert _count() == 0


def test_a_syntax_error_names_its_line():
    with pytest.raises(ecb.EcbFormatError, match=r"line \d+, column \d+"):
        ecb.parse_reference_rates(DAILY.replace(b"<Cube currency='PLN'", b"<Cube currency='PLN"))


def test_a_currency_unknown_to_money_is_skipped_not_fatal():
    data = _envelope(
        "<Cube time='2024-05-17'><Cube currency='USD' rate='1.08'/>"
        "<Cube currency='QQQ' rate='3.5'/></Cube>"
    )
    rates, skipped = ecb.parse_reference_rates(data)
    assert [r.currency for r in rates] == ["USD"]
    assert skipped == ("QQQ",)


def test_importing_twice_stores_each_rate_once(app):
    first = ecb.import_reference_rates(HISTORY)
    assert (first.days, first.already_stored, first.latest) == (4, 0, date(2024, 5, 17))
    stored = _count()
    assert stored == first.stored == 30 + 3 * 6
    second = ecb.import_reference_rates(DAILY)
    assert (second.stored, second.already_stored) == (0, 30)
    assert _count() == stored
    row = db.session.scalars(
        select(ExchangeRate).where(
            ExchangeRate.currency == "PLN", ExchangeRate.rate_date == date(2024, 5, 17)
        )
    ).one()
    db.session.expire(row)
    assert row.rate == Decimal("4.2608") and row.source == "ecb" and row.organisation_id is None


# The command ---------------------------------------------------------------------------------


def test_the_cli_imports_a_file(app, tmp_path):
    path = tmp_path / "eurofxref-daily.xml"
    path.write_bytes(DAILY)
    result = app.test_cli_runner().invoke(args=["donations", "import-rates", str(path)])
    assert result.exit_code == 0, result.output
    assert "stored 30" in result.output
    again = app.test_cli_runner().invoke(args=["donations", "import-rates", str(path)])
    assert again.exit_code == 0 and "already stored 30" in again.output
    assert _count() == 30


def test_the_cli_refuses_a_malformed_file_with_exit_2(app, tmp_path):
    path = tmp_path / "rates.xml"
    path.write_bytes(MALFORMED["bad rate"])
    result = app.test_cli_runner().invoke(args=["donations", "import-rates", str(path)])
    assert result.exit_code == 2
    assert "rates.xml" in result.output and "nothing stored" in result.output
    assert _count() == 0


def test_the_cli_refuses_a_missing_file_with_exit_2(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["donations", "import-rates", str(tmp_path / "missing.xml")]
    )
    assert result.exit_code == 2


# The beat task, against a local server ------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    answers: dict[str, tuple[int, bytes]] = {}

    def do_GET(self) -> None:
        status, body = self.answers.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def rates_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    _Handler.answers = {
        "/daily.xml": (200, DAILY),
        "/broken.xml": (200, MALFORMED["cut off"]),
        "/error.xml": (503, b"maintenance"),
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _failures() -> list[RateFetchFailure]:
    return list(db.session.scalars(select(RateFetchFailure).order_by(RateFetchFailure.id)))


def test_the_task_fetches_and_stores_the_daily_rates(app, rates_server):
    app.config["ECB_RATES_URL"] = f"{rates_server}/daily.xml"
    result = tasks.fetch_ecb_rates_task.apply().get()
    assert result == {
        "fetched": True,
        "stored": 30,
        "already_stored": 0,
        "latest": "2024-05-17",
    }
    assert tasks.fetch_ecb_rates_task.apply().get()["already_stored"] == 30
    assert _count() == 30 and _failures() == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/error.xml", "http_status"), ("/broken.xml", "malformed"), ("/missing.xml", "http_status")],
)
def test_a_failed_fetch_is_recorded_and_stores_nothing(app, rates_server, path, reason):
    app.config["ECB_RATES_URL"] = f"{rates_server}{path}"
    assert tasks.fetch_ecb_rates_task.apply().get() == {"fetched": False, "reason": "failed"}
    assert _count() == 0
    [failure] = _failures()
    assert failure.reason == reason and failure.url.endswith(path)


def test_an_unreachable_server_is_a_recorded_network_failure(app):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config["ECB_RATES_URL"] = f"http://127.0.0.1:{port}/daily.xml"
    assert tasks.fetch_ecb_rates_task.apply().get()["fetched"] is False
    [failure] = _failures()
    assert failure.reason == "network"


def test_fetching_can_be_turned_off(app):
    app.config["ECB_RATES_URL"] = ""
    assert tasks.fetch_ecb_rates_task.apply().get() == {"fetched": False, "reason": "disabled"}
    assert _failures() == []


def test_the_task_is_on_the_beat_schedule(app):
    from worker.beat import beat_schedule

    assert beat_schedule(app.config)["fetch-ecb-rates"]["task"] == "donations.fetch_ecb_rates"


def test_staff_see_failures_and_latest_rates_on_the_rates_page(
    app, client, make_user, rates_server
):
    ecb.import_reference_rates(DAILY)
    app.config["ECB_RATES_URL"] = f"{rates_server}/error.xml"
    tasks.fetch_ecb_rates_task.apply()
    login(client, make_user("treasurer"))
    page = client.get("/admin/exchange-rates").get_data(as_text=True)
    assert "HTTP 503" in page
    assert "4.2608" in page

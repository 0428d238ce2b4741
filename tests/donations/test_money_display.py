"""Money on the donations pages as on the rest of the site (`format_money_short`): a whole
amount without its cents ("€50"), an amount with cents exact to the cent ("€12.50"), never
rounded. The accountant's columns (the lines and reserve a treasurer moves money between,
bank statement lines) keep every decimal, to be read against the bank and the ledger."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from ngo.donations.manual import GiftEntry, record_manual_gift
from ngo.donations.models import ExchangeRate
from ngo.extensions import db
from ngo.money import Money, format_money_short
from tests.conftest import login
from tests.donations.test_donate_bank_transfer import accounts, post

__all__ = ["accounts"]  # fixture used by name


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_the_donations_list_shows_whole_amounts_without_cents_and_keeps_cents(
    client, staff, appeal, give
):
    give(5_000)
    give(1_250)
    give(7)  # seven cents: never "€0"
    db.session.commit()
    login(client, staff["treasurer"])
    page = _page(client, "/treasury/donations/")
    amounts = re.findall(r'<td data-label="Amount">([^<]*)</td>', page)
    assert sorted(amounts) == ["€0.07", "€12.50", "€50"]
    assert "€50.00" not in page


def test_a_gifts_page_shows_its_amount_fee_and_conversion_as_the_site_does(
    client, staff, appeal, give
):
    db.session.add(
        ExchangeRate(currency="PLN", rate=Decimal("4.2"), rate_date=date.today(), source="ecb")
    )
    whole = give(5_000, fee=175)
    converted = give(21_000, currency="PLN")  # 210 zł at 4.2 zł a euro: €50
    db.session.commit()
    login(client, staff["treasurer"])
    page = _page(client, f"/treasury/donations/gifts/{whole.public_id}")
    assert "<dd>€50</dd>" in page and "<dd>€1.75</dd>" in page
    assert "€50.00" not in page
    other = _page(client, f"/treasury/donations/gifts/{converted.public_id}")
    assert f"<dd>{format_money_short(Money(21_000, 'PLN'), 'en')}</dd>" in other  # no ".00"
    assert "<dd>€50 (rate" in other


def test_the_dashboard_lists_gifts_waiting_in_whole_amounts(client, staff, appeal):
    record_manual_gift(
        appeal, GiftEntry(Money(100_000, "EUR"), "cash", date.today()), actor=staff["treasurer"]
    )
    db.session.commit()
    login(client, staff["admin"])
    page = _page(client, "/dashboard")
    assert re.search(r">€1,000, Cash, ", page), page[page.index("Gifts waiting") :][:600]
    assert "€1,000.00" not in page


def test_the_lines_and_reserve_page_keeps_every_decimal(client, staff, appeal, give):
    give(5_000)
    db.session.commit()
    login(client, staff["treasurer"])
    page = _page(client, f"/treasury/donations/appeals/{appeal.slug}/funds")
    assert "<td>€2,100.00</td>" in page and "<dd>€50.00</dd>" in page


def test_the_donors_page_after_a_transfer_names_the_amount_as_the_site_does(
    client, appeal, accounts
):
    response = post(appeal, client, amount="50")
    assert response.status_code == 303 or response.status_code == 302, response.text[:500]
    page = _page(client, response.headers["Location"])
    assert "Transfer €50 to the account below" in page
    assert "<dd>€50</dd>" in page and "€50.00" not in page

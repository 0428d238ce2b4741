"""How the audit log names the donations domain's records (ngo/audit_reading.py): a gift or a
payment by its amount and its appeal ("a €50 gift to Alexander's appeal"), a bank account by
its currency and the end of its IBAN (the organisation's own account), a statement line by
its amount and day, a statement by the day it was imported, an exchange rate by its currency
and day. Never a donor: no name, e-mail or message, and a statement line never shows its
payer or remittance text; a donor is only ever "a donor". One query per object type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from ngo import audit_reading, audit_related
from ngo.audit_reading import ObjectType, numeric_ids
from ngo.campaigns.audit_names import TEXT_COLUMNS, AppealText, appeal_phrase, best_texts
from ngo.campaigns.models import Appeal, AppealTranslation
from ngo.donations.models import (
    BankAccount,
    Disbursement,
    Donation,
    ExchangeRate,
    StatementImport,
    StatementLine,
    StatementMapping,
)
from ngo.extensions import db
from ngo.money import Money, format_money_short


def _with_appeal(model: Any, ids: set[str], organisation_id: int) -> list[Any]:
    """Rows (id, amount, currency, *TEXT_COLUMNS) of the organisation's records of `model`
    (a gift or a payment), with each text of their appeal, in the order written."""
    return list(
        db.session.execute(
            select(model.id, model.amount_minor, model.currency, *TEXT_COLUMNS)
            .join(Appeal, Appeal.id == model.appeal_id)
            .outerjoin(AppealTranslation, AppealTranslation.appeal_id == Appeal.id)
            .where(model.organisation_id == organisation_id, model.id.in_(numeric_ids(ids)))
            .order_by(model.id, AppealTranslation.id)
        )
    )


def _money_and_appeal(
    model: Any, ids: set[str], organisation_id: int
) -> dict[str, tuple[str, str]]:
    rows = _with_appeal(model, ids, organisation_id)
    texts: dict[int, AppealText] = best_texts((row[0], *row[3:]) for row in rows)
    return {
        str(row[0]): (format_money_short(Money(row[1], row[2])), appeal_phrase(texts.get(row[0])))
        for row in rows
    }


def gift_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    return {
        record_id: _("a %(amount)s gift to %(appeal)s", amount=amount, appeal=appeal)
        for record_id, (amount, appeal) in _money_and_appeal(Donation, ids, organisation_id).items()
    }


def payment_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    found = _money_and_appeal(Disbursement, ids, organisation_id)
    return {
        record_id: _("a %(amount)s payment from %(appeal)s", amount=amount, appeal=appeal)
        for record_id, (amount, appeal) in found.items()
    }


def bank_account_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    rows = db.session.execute(
        select(BankAccount.id, BankAccount.currency, BankAccount.iban).where(
            BankAccount.organisation_id == organisation_id,
            BankAccount.id.in_(numeric_ids(ids)),
        )
    )
    return {
        str(account_id): _(
            "the %(currency)s account ending %(digits)s",
            currency=currency,
            digits="".join(iban.split())[-4:],
        )
        for account_id, currency, iban in rows
    }


def statement_line_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    rows = db.session.execute(
        select(
            StatementLine.id,
            StatementLine.amount_minor,
            StatementLine.currency,
            StatementLine.booking_date,
        ).where(
            StatementLine.organisation_id == organisation_id,
            StatementLine.id.in_(numeric_ids(ids)),
        )
    )
    return {
        str(line_id): _(
            "the statement line of %(amount)s booked on %(date)s",
            amount=format_money_short(Money(amount, currency)),
            date=format_date(booked),
        )
        for line_id, amount, currency, booked in rows
    }


def statement_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    rows = db.session.execute(
        select(StatementImport.id, StatementImport.imported_at).where(
            StatementImport.organisation_id == organisation_id,
            StatementImport.id.in_(numeric_ids(ids)),
        )
    )
    return {
        str(import_id): _("the bank statement imported on %(date)s", date=format_date(imported))
        for import_id, imported in rows
    }


def mapping_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    rows = db.session.execute(
        select(StatementMapping.id, StatementMapping.name).where(
            StatementMapping.organisation_id == organisation_id,
            StatementMapping.id.in_(numeric_ids(ids)),
        )
    )
    return {
        str(mapping_id): _("the column mapping “%(name)s”", name=name) for mapping_id, name in rows
    }


def rate_names(ids: set[str], organisation_id: int) -> Mapping[str, str]:
    """The organisation's own rates and the published ones it relies on."""
    rows = db.session.execute(
        select(ExchangeRate.id, ExchangeRate.currency, ExchangeRate.rate_date).where(
            or_(
                ExchangeRate.organisation_id == organisation_id,
                ExchangeRate.organisation_id.is_(None),
            ),
            ExchangeRate.id.in_(numeric_ids(ids)),
        )
    )
    return {
        str(rate_id): _(
            "the %(currency)s rate of %(date)s", currency=currency, date=format_date(day)
        )
        for rate_id, currency, day in rows
    }


def case_gifts_and_payments(case_id: int, organisation_id: int) -> Mapping[str, Select[Any]]:
    """The gifts to the case's appeals, the payments out of them and the statement lines
    that became its gifts (a treasurer assigned them), for its History tab and the audit
    log's case filter (ngo/audit_related.py); their names above say nothing of a donor."""
    found: dict[str, Select[Any]] = {
        kind: select(model.id)
        .join(Appeal, Appeal.id == model.appeal_id)
        .where(Appeal.beneficiary_id == case_id, model.organisation_id == organisation_id)
        for kind, model in (("donation", Donation), ("disbursement", Disbursement))
    }
    found["statement_line"] = (
        select(StatementLine.id)
        .join(Donation, Donation.id == StatementLine.donation_id)
        .join(Appeal, Appeal.id == Donation.appeal_id)
        .where(Appeal.beneficiary_id == case_id, StatementLine.organisation_id == organisation_id)
    )
    return found


OBJECT_TYPES = (
    ObjectType("donation", names=gift_names, label=_l("a gift")),
    ObjectType("disbursement", names=payment_names, label=_l("a payment")),
    ObjectType("bank_account", names=bank_account_names, label=_l("a bank account")),
    ObjectType("statement_line", names=statement_line_names, label=_l("a statement line")),
    ObjectType("statement_import", names=statement_names, label=_l("a bank statement")),
    ObjectType("statement_mapping", names=mapping_names, label=_l("a column mapping")),
    ObjectType("exchange_rate", names=rate_names, label=_l("an exchange rate")),
    # A donor's name is theirs: every event about a donor says only that.
    ObjectType("donor", label=_l("a donor")),
)


def register(app: Flask) -> None:
    audit_reading.register_object_types(app, OBJECT_TYPES)
    audit_related.register_related_objects(app, "case", case_gifts_and_payments)

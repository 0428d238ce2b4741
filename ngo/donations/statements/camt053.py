"""ISO 20022 camt.053 (BankToCustomerStatement) XML, versions 001.02 to 001.13.

Read with lxml, safely: no external entities, no DTD loading, no network, and a file with a
DOCTYPE at all is refused (a statement never needs one; entity tricks need it). What is read:

* ``Stmt/Id``, ``Stmt/Acct/Id/IBAN`` (or ``Othr/Id``), ``Stmt/Acct/Ccy``;
* each booked ``Ntry`` (``Sts`` ``BOOK``, as text in 001.02-001.06, as ``Sts/Cd`` from 001.08;
  pending and information-only entries are not money on the account and are skipped) with
  ``Amt@Ccy``, ``CdtDbtInd``, ``BookgDt``/``ValDt`` (``Dt`` or ``DtTm``), ``NtryRef`` and
  ``AcctSvcrRef``;
* its ``NtryDtls/TxDtls``: the remittance (every ``RmtInf/Ustrd``, concatenated, and
  ``RmtInf/Strd/CdtrRefInf/Ref``; else ``AddtlTxInf``/``AddtlNtryInf``), the counterparty
  (``RltdPties/Dbtr/Nm``, or ``Dbtr/Pty/Nm`` from 001.08; the creditor for a debit) and its
  references. A batch booking with several ``TxDtls`` becomes one line per transaction when
  their amounts are given and add up to the entry; otherwise the entry stays one line with
  every transaction's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from ngo.donations.statements.parsed import (
    ParsedStatement,
    RawLine,
    StatementFormatError,
    decimal_to_minor,
    normalise_iban,
    tidy,
    with_identities,
)

_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})")
_AMOUNT = re.compile(r"[0-9]{1,18}(\.[0-9]{1,5})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NOT_PROVIDED = {"", "NOTPROVIDED", "NONREF"}

Element = Any  # lxml elements (lxml ships no type information)


def _parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def looks_like_camt053(data: bytes) -> bool:
    return b"camt.053.001." in data[:4096]


def parse_camt053(data: bytes, file_name: str) -> list[ParsedStatement]:
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
        raise StatementFormatError(file_name, line, f"not well-formed XML ({exc.msg})") from None
    if root.getroottree().docinfo.doctype:
        raise StatementFormatError(file_name, 1, "a statement must not have a DOCTYPE")
    reader = _Reader(root, file_name)
    return reader.statements()


class _Reader:
    def __init__(self, root: Element, file_name: str) -> None:
        self.file_name = file_name
        namespace = etree.QName(root).namespace or ""
        if not _NAMESPACE.fullmatch(namespace) or etree.QName(root).localname != "Document":
            raise StatementFormatError(
                file_name,
                root.sourceline,
                "not a camt.053 document (the root must be <Document> in a camt.053.001 namespace)",
            )
        self.ns = namespace
        self.root = root

    # Small XPath-free helpers: each path is a list of local names in the document's namespace.
    def _q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def find(self, element: Element, *path: str) -> Element | None:
        for name in path:
            if element is None:
                return None
            element = element.find(self._q(name))
        return element

    def findall(self, element: Element, *path: str) -> list[Element]:
        if element is None:
            return []
        *parents, last = path
        found = self.find(element, *parents) if parents else element
        return [] if found is None else list(found.iterfind(self._q(last)))

    def text(self, element: Element, *path: str) -> str:
        found = self.find(element, *path)
        return tidy(found.text or "") if found is not None else ""

    def fail(self, element: Element, message: str) -> StatementFormatError:
        return StatementFormatError(self.file_name, element.sourceline, message)

    def statements(self) -> list[ParsedStatement]:
        message = self.find(self.root, "BkToCstmrStmt")
        if message is None:
            raise self.fail(self.root, "<BkToCstmrStmt> is missing")
        statements = self.findall(message, "Stmt")
        if not statements:
            raise self.fail(message, "the document holds no <Stmt>")
        return [self.statement(stmt) for stmt in statements]

    def statement(self, stmt: Element) -> ParsedStatement:
        account = self.find(stmt, "Acct")
        if account is None:
            raise self.fail(stmt, "<Stmt> has no <Acct>")
        raw_iban = self.text(account, "Id", "IBAN") or self.text(account, "Id", "Othr", "Id")
        iban = normalise_iban(raw_iban)
        if raw_iban and iban is None and self.find(account, "Id", "IBAN") is not None:
            raise self.fail(self.find(account, "Id", "IBAN"), "<IBAN> is not a valid IBAN")
        currency = self.text(account, "Ccy") or None
        raw_lines: list[RawLine] = []
        for entry in self.findall(stmt, "Ntry"):
            raw_lines.extend(self.entry(entry))
        return ParsedStatement(
            format="camt053",
            account_iban=iban,
            statement_id=self.text(stmt, "Id") or None,
            currency=currency,
            lines=with_identities(iban, raw_lines),
        )

    def amount(self, element: Element, what: str) -> tuple[int, str]:
        text = (element.text or "").strip()
        currency = (element.get("Ccy") or "").strip()
        if not _AMOUNT.fullmatch(text):
            raise self.fail(element, f"{what} is not an amount")
        if not currency:
            raise self.fail(element, f"{what} has no Ccy")
        return decimal_to_minor(Decimal(text), currency, self.file_name, element.sourceline), (
            currency
        )

    def sign(self, element: Element, default: int | None = None) -> int:
        indicator = self.text(element, "CdtDbtInd")
        if indicator == "CRDT":
            return 1
        if indicator == "DBIT":
            return -1
        if not indicator and default is not None:
            return default
        found = self.find(element, "CdtDbtInd")
        raise self.fail(element if found is None else found, "<CdtDbtInd> must be CRDT or DBIT")

    def day(self, element: Element, name: str, required: bool) -> date | None:
        holder = self.find(element, name)
        if holder is None:
            if required:
                raise self.fail(element, f"<{name}> is missing")
            return None
        text = self.text(holder, "Dt") or self.text(holder, "DtTm")[:10]
        if not _DATE.fullmatch(text):
            raise self.fail(holder, f"<{name}> has no date")
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise self.fail(holder, f"<{name}> is not a real date") from None

    def entry(self, entry: Element) -> list[RawLine]:
        status = self.text(entry, "Sts") or self.text(entry, "Sts", "Cd")
        amount_element = self.find(entry, "Amt")
        if amount_element is None:
            raise self.fail(entry, "<Ntry> has no <Amt>")
        amount, currency = self.amount(amount_element, "<Ntry><Amt>")
        sign = self.sign(entry)
        booked = self.day(entry, "BookgDt", required=status == "BOOK")
        valued = self.day(entry, "ValDt", required=False)
        if status and status != "BOOK":
            return []
        booking_date = booked or valued
        if booking_date is None:
            raise self.fail(entry, "<Ntry> has neither <BookgDt> nor <ValDt>")
        entry_reference = self.text(entry, "AcctSvcrRef") or self.text(entry, "NtryRef")
        details = [
            tx for dtls in self.findall(entry, "NtryDtls") for tx in self.findall(dtls, "TxDtls")
        ]
        fallback = self.text(entry, "AddtlNtryInf")

        def line(tx_amount: int, tx_sign: int, txs: Iterable[Element], reference: str) -> RawLine:
            txs = list(txs)
            texts = [self.remittance(tx) for tx in txs]
            names = [self.counterparty(tx, tx_sign) for tx in txs]
            return RawLine(
                booking_date=booking_date,
                value_date=valued,
                amount_minor=tx_sign * tx_amount,
                currency=currency,
                remittance_text=" ".join(t for t in texts if t) or fallback,
                counterparty_name="; ".join(n for n in names if n),
                bank_reference=reference,
                source_line=entry.sourceline,
            )

        if len(details) > 1:
            split = self.split_batch(details, currency, sign)
            if split is not None and sum(a * s for a, s in split) == sign * amount:
                return [
                    line(a, s, [tx], self.tx_reference(tx) or f"{entry_reference}/{i}")
                    for i, (tx, (a, s)) in enumerate(zip(details, split, strict=True), start=1)
                ]
        reference = entry_reference or (self.tx_reference(details[0]) if details else "")
        return [line(amount, sign, details, reference)]

    def split_batch(
        self, details: list[Element], currency: str, sign: int
    ) -> list[tuple[int, int]] | None:
        split = []
        for tx in details:
            element = self.find(tx, "Amt")
            if element is None:
                element = self.find(tx, "AmtDtls", "TxAmt", "Amt")
            if element is None:
                return None
            amount, tx_currency = self.amount(element, "<TxDtls> amount")
            if tx_currency != currency:
                return None
            split.append((amount, self.sign(tx, default=sign)))
        return split

    def tx_reference(self, tx: Element) -> str:
        for name in ("AcctSvcrRef", "TxId", "EndToEndId"):
            value = self.text(tx, "Refs", name)
            if value.upper() not in _NOT_PROVIDED:
                return value
        return ""

    def remittance(self, tx: Element) -> str:
        parts = [(element.text or "").strip() for element in self.findall(tx, "RmtInf", "Ustrd")]
        for strd in self.findall(tx, "RmtInf", "Strd"):
            parts.append(self.text(strd, "CdtrRefInf", "Ref"))
            parts.extend(
                (element.text or "").strip() for element in self.findall(strd, "AddtlRmtInf")
            )
        text = tidy(" ".join(p for p in parts if p))
        return text or self.text(tx, "AddtlTxInf")

    def counterparty(self, tx: Element, sign: int) -> str:
        party = "Dbtr" if sign > 0 else "Cdtr"
        return (
            self.text(tx, "RltdPties", party, "Nm")
            or self.text(tx, "RltdPties", party, "Pty", "Nm")
            or self.text(tx, "RltdPties", f"Ultmt{party}", "Nm")
            or self.text(tx, "RltdPties", f"Ultmt{party}", "Pty", "Nm")
        )

"""Importing a bank statement: the one service behind the treasurer's upload page and
`flask --app ngo donations import-statement`.

Each credit line is matched by reference code *and* amount: a line whose title holds the code
of exactly one pending bank-transfer donation of the organisation, for exactly that amount and
currency, confirms it through `confirmation.confirm_donation` (the path every gift ends in).
Anything else (no code, an unknown code, another amount, several candidates, a code already
paid) waits in the reconciliation queue. Debits are counted and not stored. A line seen before
(its identity) is a duplicate and changes nothing, and so is a whole file imported again.

The caller owns the transaction: one per file, so a malformed file (`StatementFormatError`)
or a refusal (`StatementImportError`) leaves nothing of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from ngo.accounts.models import Organisation, User
from ngo.audit import record_change, record_row
from ngo.campaigns import funding
from ngo.donations import bank_accounts
from ngo.donations.confirmation import confirm_donation
from ngo.donations.models import (
    Donation,
    DonationStatus,
    LineStatus,
    PaymentMethod,
    QueueReason,
    StatementImport,
    StatementLine,
    StatementMapping,
)
from ngo.donations.references import find_references
from ngo.donations.statements import (
    CsvMapping,
    MappingError,
    ParsedLine,
    ParsedStatement,
    parse_statement_file,
)
from ngo.extensions import db
from ngo.rules import RuleError


class StatementImportError(RuleError):
    """A statement that cannot be imported as asked (no organisation has its account, the
    mapping does not exist). The message names no personal value."""


@dataclass
class ImportResult:
    file_name: str
    statements: int = 0
    lines: int = 0
    matched: int = 0
    queued: int = 0
    duplicate: int = 0
    debits: int = 0
    imports: list[StatementImport] = field(default_factory=list)

    def summary(self) -> str:
        return f"matched {self.matched}, queued {self.queued}, duplicate {self.duplicate}"


def find_mapping(organisation: Organisation | None, name: str) -> StatementMapping:
    """The saved mapping called `name`: the organisation's, or without an organisation the
    only one of that name."""
    query = select(StatementMapping).where(StatementMapping.name == name)
    if organisation is not None:
        query = query.where(StatementMapping.organisation_id == organisation.id)
    found = db.session.scalars(query.limit(2)).all()
    if len(found) != 1:
        raise StatementImportError(
            f"no single CSV mapping is called “{name}”"
            + ("" if organisation is not None else ": name the organisation too"),
            field="mapping",
        )
    return found[0]


def import_statement(
    data: bytes,
    file_name: str,
    *,
    actor: User | None,
    organisation: Organisation | None = None,
    format: str | None = None,
    mapping_name: str | None = None,
    session: Session | None = None,
) -> ImportResult:
    """Import every statement in the file (in the caller's transaction). Without
    `organisation`, each statement's account IBAN says whose it is."""
    session = session or db.session()
    mapping: CsvMapping | None = None
    saved: StatementMapping | None = None
    if mapping_name:
        saved = find_mapping(organisation, mapping_name)
        try:
            mapping = CsvMapping.from_json(saved.columns)
        except (MappingError, TypeError):
            raise StatementImportError(
                f"the CSV mapping “{mapping_name}” cannot be used: save it again",
                field="mapping",
            ) from None
    statements = parse_statement_file(data, file_name, format, mapping)
    digest = hashlib.sha256(data).hexdigest()
    result = ImportResult(file_name=file_name)
    for key, statement in enumerate(statements):
        owner = _owner(statement, organisation, saved)
        _import_one(statement, key, digest, owner, actor, result, session)
    return result


def _owner(
    statement: ParsedStatement, given: Organisation | None, saved: StatementMapping | None
) -> Organisation:
    owner = bank_accounts.find_organisation_by_iban(statement.account_iban or "")
    if given is not None:
        if owner is not None and owner.id != given.id:
            raise StatementImportError(
                "the statement's account belongs to another organisation", field="file"
            )
        return given
    if owner is not None:
        return owner
    if saved is not None:
        found = db.session.get(Organisation, saved.organisation_id)
        if found is not None:
            return found
    raise StatementImportError(
        "no organisation has this statement's account: add the bank account first, or name "
        "the organisation",
        field="file",
    )


def _import_one(
    statement: ParsedStatement,
    key: int,
    digest: str,
    organisation: Organisation,
    actor: User | None,
    result: ImportResult,
    session: Session,
) -> None:
    result.statements += 1
    result.lines += len(statement.lines)
    already = session.scalar(
        select(StatementImport.id).where(
            StatementImport.organisation_id == organisation.id,
            StatementImport.file_digest == digest,
            StatementImport.statement_key == key,
        )
    )
    debits = [line for line in statement.lines if not line.is_credit]
    result.debits += len(debits)
    if already is not None:
        result.duplicate += len(statement.lines) - len(debits)
        return
    record = StatementImport(
        organisation_id=organisation.id,
        format=statement.format,
        file_digest=digest,
        statement_key=key,
        statement_id=(statement.statement_id or "")[:80] or None,
        account_iban=statement.account_iban,
        currency=statement.currency,
        imported_by_id=actor.id if actor is not None else None,
        line_count=len(statement.lines),
        debit_count=len(debits),
    )
    session.add(record)
    session.flush()
    credits = statement.credits
    # The appeals its lines may pay, locked before the first gift's ledger entry: lock order.
    funding.lock_appeals(_appeals_awaiting(credits, organisation, session), session)
    known = set(
        session.scalars(
            select(StatementLine.identity).where(
                StatementLine.organisation_id == organisation.id,
                StatementLine.identity.in_([line.identity for line in credits]),
            )
        )
    )
    for parsed in credits:
        if parsed.identity in known:
            record.duplicate_count += 1
            continue
        known.add(parsed.identity)
        line = _store(parsed, record)
        session.add(line)
        session.flush()
        if _match(line, organisation, actor, session):
            record.matched_count += 1
        else:
            record.queued_count += 1
    result.matched += record.matched_count
    result.queued += record.queued_count
    result.duplicate += record.duplicate_count
    result.imports.append(record)
    record_change(
        record,
        actor,
        "statement.imported",
        format=record.format,
        lines=record.line_count,
        matched=record.matched_count,
        queued=record.queued_count,
        duplicate=record.duplicate_count,
        debits=record.debit_count,
    )
    session.flush()


def _appeals_awaiting(
    credits: Sequence[ParsedLine], organisation: Organisation, session: Session
) -> list[int]:
    """The appeals of the pending bank-transfer gifts whose codes the lines' texts hold."""
    codes = {code for line in credits for code in find_references(line.remittance_text)}
    if not codes:
        return []
    return list(
        session.scalars(
            select(Donation.appeal_id)
            .where(
                Donation.organisation_id == organisation.id,
                Donation.method == PaymentMethod.BANK_TRANSFER.value,
                Donation.status == DonationStatus.PENDING.value,
                Donation.reference_code.in_(_as_stored(codes)),
            )
            .distinct()
        )
    )


def _as_stored(codes: Iterable[str]) -> list[str]:
    """A reference code as a gift may hold it: with its dash or without."""
    found = set(codes)
    return sorted(found | {code.replace("-", "") for code in found})


def _store(parsed: ParsedLine, record: StatementImport) -> StatementLine:
    return StatementLine(
        organisation_id=record.organisation_id,
        import_id=record.id,
        identity=parsed.identity,
        booking_date=parsed.booking_date,
        value_date=parsed.value_date,
        amount_minor=parsed.amount_minor,
        currency=parsed.currency,
        remittance_text=parsed.remittance_text or None,
        counterparty_name=parsed.counterparty_name or None,
        bank_reference=parsed.bank_reference or None,
        references=",".join(find_references(parsed.remittance_text))[:200],
        status=LineStatus.QUEUED.value,
    )


def _match(
    line: StatementLine, organisation: Organisation, actor: User | None, session: Session
) -> bool:
    """Confirm the one pending donation the line is for, or say why it waits in the queue."""
    codes = line.reference_list
    if not codes:
        line.queue_reason = QueueReason.NO_REFERENCE.value
        return False
    candidates = session.scalars(
        select(Donation).where(
            Donation.organisation_id == organisation.id,
            Donation.method == PaymentMethod.BANK_TRANSFER.value,
            Donation.reference_code.in_(_as_stored(codes)),
        )
    ).all()
    pending = [d for d in candidates if d.status == DonationStatus.PENDING]
    fitting = [
        d for d in pending if d.amount_minor == line.amount_minor and d.currency == line.currency
    ]
    if not candidates:
        line.queue_reason = QueueReason.UNKNOWN_REFERENCE.value
    elif not pending:
        line.queue_reason = QueueReason.ALREADY_CONFIRMED.value
    elif len(pending) > 1:
        line.queue_reason = QueueReason.AMBIGUOUS.value
    elif not fitting:
        line.queue_reason = QueueReason.AMOUNT_DIFFERS.value
    else:
        donation = fitting[0]
        donation.received_on = line.booking_date
        confirm_donation(
            donation,
            occurred_at=datetime.combine(line.booking_date, time()),
            actor_id=actor.id if actor is not None else None,
            session=session,
        )
        # On the gift, so that its case's History tab shows it; the line is named by its ids
        # only (its payer and remittance text are the donor's).
        record_row(
            "donation.matched",
            actor_id=actor.id if actor is not None else None,
            organisation_id=donation.organisation_id,
            object_type="donation",
            object_id=donation.id,
            details={"statement_import_id": line.import_id, "statement_line_id": line.id},
            session=session,
        )
        line.status = LineStatus.MATCHED.value
        line.donation_id = donation.id
        line.queue_reason = None
        return True
    return False

"""The double-entry ledger: transactions of journal lines, append-only, keyed-chained and
checkpointed like the audit log (ngo/chained_log.py).

A journal line's amount is signed: debits positive, credits negative; each transaction sums to
zero in every currency. Accounts are named by code (see donations.accounts), and lines that
belong to an appeal carry its id, so an appeal's figures are sums over its lines."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ngo import chain
from ngo.chained_log import CheckpointColumns
from ngo.extensions import Model

LEDGER_CHAIN = "ledger"


class LedgerTransaction(Model):
    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"), index=True)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donations.id"), index=True)
    disbursement_id: Mapped[int | None] = mapped_column(index=True)
    # A correction names the transaction it corrects; nothing is ever changed in place.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    # Neutral words only ("Gift", "Payment fee"): the public ledger may show it.
    memo: Mapped[str] = mapped_column(String(200), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    lines: Mapped[list[JournalLine]] = relationship(
        back_populates="transaction", order_by="JournalLine.id"
    )

    def hashed_fields(self) -> list[object]:
        return hashed_fields(
            self.seq,
            self.organisation_id,
            self.kind,
            self.appeal_id,
            self.donation_id,
            self.disbursement_id,
            self.corrects_id,
            self.occurred_at,
            self.memo,
            [
                (j.account, j.amount_minor, j.currency, j.appeal_id, j.budget_line_id)
                for j in self.lines
            ],
        )

    def compute_hash(self, key: bytes) -> str:
        return chain.entry_hash(key, self.hashed_fields(), self.prev_hash)


def hashed_fields(
    seq: int,
    organisation_id: int,
    kind: str,
    appeal_id: int | None,
    donation_id: int | None,
    disbursement_id: int | None,
    corrects_id: int | None,
    occurred_at: datetime,
    memo: str,
    lines: Iterable[tuple[str, int, str, int | None, int | None]],
) -> list[object]:
    """What a transaction's keyed hash covers, from its values: the same for a transaction
    loaded as a model (verify) and one written as rows (ledger.post_rows)."""
    return [
        seq,
        organisation_id,
        kind,
        appeal_id,
        donation_id,
        disbursement_id,
        corrects_id,
        occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        memo,
        sorted(list(line) for line in lines),
    ]


class JournalLine(Model):
    __tablename__ = "journal_lines"
    __table_args__ = (Index("ix_journal_lines_appeal_account", "appeal_id", "account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account: Mapped[str] = mapped_column(String(64))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"))
    budget_line_id: Mapped[int | None] = mapped_column(ForeignKey("budget_lines.id"), index=True)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="lines")


class LedgerCheckpoint(CheckpointColumns, Model):
    __tablename__ = "ledger_checkpoints"
    CHAIN = LEDGER_CHAIN

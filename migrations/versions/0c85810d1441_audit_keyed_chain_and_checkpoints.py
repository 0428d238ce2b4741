"""audit log: keyed hash chain and signed checkpoints

Revision ID: 0c85810d1441
Revises: 0f39d6f16642
Create Date: 2026-12-01 10:00:00.000000

Until now each audit event was hashed with plain SHA-256, which anyone with the database can
recompute after an edit. This revision re-chains every existing event with HMAC-SHA256 under
NGO_AUDIT_KEY, appends an `audit.chain_keyed` event that keeps the old SHA-256 head and count on
record (compare it with any head `audit verify` printed before), and signs the new head into the
first checkpoint with NGO_AUDIT_SIGNING_KEY. Every row is then on one scheme: there is no
"legacy" marker an attacker could set to have a row checked the weak way.

The old chain is verified first. If it is broken, the upgrade stops before changing anything:
keying it would make the tampered history look intact. Investigate (restore a backup from
before the break) and run the upgrade again.

It uses the keys of the running application, so run it through `flask --app ngo db upgrade`.
Only ngo.chain (pure functions, no models) is imported; the legacy hash is frozen here.
"""

import hashlib
import json
from datetime import UTC, datetime
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision = "0c85810d1441"
down_revision = "0f39d6f16642"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64

events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("seq", sa.BigInteger),
    sa.column("occurred_at", sa.DateTime),
    sa.column("actor_id", sa.Integer),
    sa.column("organisation_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.String),
    sa.column("details", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


def _fields(row):
    # The same list as AuditEvent.hashed_fields in ngo/audit.py.
    return [
        row.seq,
        row.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        row.actor_id,
        row.organisation_id,
        row.action,
        row.object_type,
        row.object_id,
        row.details or {},
    ]


def _legacy_hash(fields, prev_hash):
    canonical = json.dumps(
        [*fields, prev_hash], sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _rows(bind):
    return bind.execute(sa.select(events).order_by(events.c.seq)).all()


def _keys():
    from flask import current_app

    from ngo import chain

    try:
        config = current_app.config
    except RuntimeError as exc:
        raise RuntimeError(
            "This migration re-chains the audit log with NGO_AUDIT_KEY: run it through "
            "`flask --app ngo db upgrade`."
        ) from exc
    return (
        chain.hmac_key(str(config["NGO_AUDIT_KEY"])),
        chain.load_signing_key(str(config["NGO_AUDIT_SIGNING_KEY"]), "NGO_AUDIT_SIGNING_KEY"),
    )


def _check_links(rows, hash_of):
    expected_prev = GENESIS_HASH
    for expected_seq, row in enumerate(rows, start=1):
        if row.seq != expected_seq:
            return expected_seq, "is missing: a row was deleted"
        if row.prev_hash != expected_prev or hash_of(row, row.prev_hash) != row.hash:
            return row.seq, "was altered after it was written"
        expected_prev = row.hash
    return None


def _rechain(bind, rows, hash_of):
    prev = GENESIS_HASH
    for row in rows:
        new = hash_of(row, prev)
        bind.execute(events.update().where(events.c.id == row.id).values(prev_hash=prev, hash=new))
        prev = new
    return prev


def upgrade():
    if context.is_offline_mode():
        raise RuntimeError(
            "This revision re-hashes the rows of the audit log, which plain SQL cannot do: "
            "run `flask --app ngo db upgrade` against the database instead of --sql."
        )
    bind = op.get_bind()
    rows = _rows(bind)
    if rows:
        broken = _check_links(rows, lambda row, prev: _legacy_hash(_fields(row), prev))
        if broken:
            raise RuntimeError(
                f"The audit log is broken at event {broken[0]}, which {broken[1]}. Keying the "
                "chain now would make that history look intact, so nothing was changed. Find "
                "out what happened (restore a backup from before the break), then upgrade again."
            )
        key, signing_key = _keys()

    checkpoints = op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    if not rows:
        return

    from ngo import chain

    def keyed(row, prev):
        return chain.entry_hash(key, _fields(row), prev)

    legacy_head = rows[-1].hash
    head = _rechain(bind, rows, keyed)
    now = datetime.now(UTC).replace(tzinfo=None)
    marker = {
        "seq": rows[-1].seq + 1,
        "occurred_at": now,
        "actor_id": None,
        "organisation_id": None,
        "action": "audit.chain_keyed",
        "object_type": None,
        "object_id": None,
        "details": {"legacy_head": legacy_head, "legacy_events": len(rows)},
        "prev_hash": head,
    }
    marker["hash"] = chain.entry_hash(key, _fields(SimpleNamespace(**marker)), head)
    bind.execute(events.insert().values(**marker))
    signed = chain.Checkpoint("audit", marker["seq"], marker["hash"], now).signed(signing_key)
    bind.execute(
        checkpoints.insert().values(
            seq=signed.seq,
            head_hash=signed.head_hash,
            created_at=signed.created_at,
            signature=signed.signature,
            public_key=signed.public_key,
        )
    )


def downgrade():
    # Back to plain SHA-256, which the previous code verifies; only from an intact keyed chain.
    bind = op.get_bind()
    rows = _rows(bind)
    if rows:
        from ngo import chain

        key, _ = _keys()
        broken = _check_links(rows, lambda row, prev: chain.entry_hash(key, _fields(row), prev))
        if broken:
            raise RuntimeError(
                f"The audit log is broken at event {broken[0]}, which {broken[1]}: not "
                "re-hashing it with plain SHA-256, which would make it look intact."
            )
        _rechain(bind, rows, lambda row, prev: _legacy_hash(_fields(row), prev))
    op.drop_table("audit_checkpoints")

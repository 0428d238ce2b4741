"""Stripe's webhook events, verified by the view, applied here: idempotent by event id, and
safe when they arrive out of order.

Each event is recorded (ProviderEvent: provider, id, type, when) in the transaction that
applies it, so a replayed event finds its row and changes nothing, and of two deliveries of
one event at once only one commits (they collide on the unique id). On SQLite the row is
written last, after what the event changed: the questions asked of Stripe then come before
the transaction's first write, so the database's one write lock is not held over the
network. On PostgreSQL it is written first, by `INSERT ... ON CONFLICT DO NOTHING RETURNING`:
one statement instead of a lookup and an insert, and not inside the appeal's lock, which
every gift to the appeal waits for. Its only lock is on the event's own id: a second delivery
of the event waits for the first to end, then finds it recorded ("duplicate"), or records it
itself if the first was rolled back. No savepoint either: pysqlite (Python < 3.12) opens no
transaction before a SAVEPOINT, so releasing one would commit the event's row on its own.

An event that cannot be applied yet raises RetryLater (the view answers 409, the transaction
rolls back with its ProviderEvent row, and Stripe delivers it again with its backoff, for up
to three days): a refund, a dispute or a subscription's end that arrives before the payment
it is about was confirmed. Events that are complete in themselves are applied in any order:
`invoice.paid` for a subscription's first invoice confirms the checkout's gift whether or not
`checkout.session.completed` came first, and whichever comes second finds the gift
confirmed; a renewal's refund or dispute that comes before its `invoice.paid` settles the
invoice first, as Stripe holds it, and `invoice.paid` then finds the gift confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import BindParameter, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.exc import IntegrityError

from ngo import audit, unit_of_work
from ngo.donations import stripe_api
from ngo.donations.confirmation import reverse_donation
from ngo.donations.models import Donation, DonationStatus, Payment, ProviderEvent, RecurringPlan
from ngo.donations.stripe_settle import (
    PROVIDER,
    EventError,
    RetryLater,
    cancel_plan,
    confirm_with_intent,
    donation_by_intent,
    donation_by_metadata,
    ensure_plan,
    fee_of,
    first_gift,
    forget_read_with_event,
    metadata_public_id,
    object_id,
    payment,
    read_with_event,
    record_payment,
    renewal,
)
from ngo.extensions import db, table_of
from ngo.timeutil import utcnow

__all__ = ["EventError", "RetryLater", "handle_event"]

Handler = Callable[[dict[str, Any]], str]


def handle_event(event: dict[str, Any]) -> str:
    """Apply one verified event; returns what was done, in a few neutral words."""
    event_id, kind = str(event.get("id") or ""), str(event.get("type") or "")
    if not event_id or not kind:
        raise EventError("an event has an id and a type")
    record = {"provider": PROVIDER, "event_id": event_id, "type": kind[:64], "at": utcnow()}
    connection = db.session.connection()
    record_first = connection.dialect.name == "postgresql"
    handler = HANDLERS.get(kind)
    obj = (event.get("data") or {}).get("object") or {}
    if not isinstance(obj, dict):
        raise EventError("an event's data holds an object")
    if record_first:
        unit_of_work.note_write(db.session())
        if not _record_unless_seen(record, kind, obj):
            return "duplicate"
    elif _seen(event_id):
        return "duplicate"
    try:
        outcome = handler(obj) if handler is not None else "ignored"
        db.session.flush()  # what the handler left to flush collides here, not at the commit
        if not record_first:
            unit_of_work.note_write(db.session())
            db.session.connection().execute(_RECORD, record)
    except IntegrityError as exc:
        # Another delivery of this event (or of one about the same payment) committed while
        # this one was applied: this one is refused whole (the request rolls back), and
        # Stripe's retry finds what the other one did.
        raise RetryLater("applied by another delivery at the same time") from exc
    finally:
        forget_read_with_event()
    return outcome


def _record_unless_seen(record: dict[str, Any], kind: str, obj: dict[str, Any]) -> bool:
    """PostgreSQL's record of the event; False if it was recorded before. A Checkout
    session's event reads its gift in the same statement (the handler's first question)."""
    public_id = metadata_public_id(obj.get("metadata")) if kind in _CHECKOUT_KINDS else None
    if public_id is None:
        return db.session.connection().scalar(_RECORD_UNLESS_SEEN, record) is not None
    recorded, donation = db.session.execute(
        _RECORD_READING_GIFT, {**record, "public_id": public_id}
    ).one()
    if recorded is None:
        return False
    read_with_event(public_id, donation)
    return True


# Built once, run on the connection: every event asks the first and writes the second.
_EVENTS = table_of(ProviderEvent)
_SEEN = select(_EVENTS.c.id).where(
    _EVENTS.c.provider == PROVIDER,
    _EVENTS.c.event_id == bindparam("event_id"),
)
_RECORDED_VALUES: dict[str, BindParameter[Any]] = {
    "provider": bindparam("provider"),
    "event_id": bindparam("event_id"),
    "type": bindparam("type"),
    "received_at": bindparam("at"),
}
_RECORD = _EVENTS.insert().values(_RECORDED_VALUES)


# PostgreSQL's: the event recorded unless it was before, its id returned if recorded now.
_RECORD_UNLESS_SEEN = (
    postgresql_insert(_EVENTS)
    .values(_RECORDED_VALUES)
    .on_conflict_do_nothing(index_elements=["provider", "event_id"])
    .returning(_EVENTS.c.id)
)


# With a Checkout session's event: the gift its metadata names, read in the same statement
# (outer-joined to one row, so that a session that is not a gift's still says whether the
# event was recorded). The gift is read as it was before the statement: if it waited for
# another delivery of the event, that one committed first and this one is a duplicate.
_CHECKOUT_KINDS = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
    }
)
_RECORDED = _RECORD_UNLESS_SEEN.cte("recorded")
_ONE_ROW = select(literal_column("1").label("one")).subquery("one_row")
_RECORD_READING_GIFT = (
    select(select(_RECORDED.c.id).scalar_subquery().label("recorded"), Donation)
    .select_from(_ONE_ROW.outerjoin(Donation, Donation.public_id == bindparam("public_id")))
    .add_cte(_RECORDED)
)


def _seen(event_id: str) -> bool:
    return db.session.connection().scalar(_SEEN, {"event_id": event_id}) is not None


# Checkout ----------------------------------------------------------------------------------


def _checkout_donation(session: dict[str, Any], *, record: bool = True) -> Donation | None:
    """The gift a Checkout session paid for, its session recorded (unless the caller records
    it with the confirmation, `record=False`), and its monthly plan made."""
    donation = donation_by_metadata(session.get("metadata"))
    if donation is not None and record:
        record_payment(donation, "checkout_session", str(session["id"]), donation.amount_minor)
    if donation is not None:
        subscription_id = object_id(session.get("subscription"))
        if subscription_id:
            ensure_plan(donation, subscription_id)
    return donation


def _invoice_intent(invoice: dict[str, Any]) -> str | None:
    """The payment intent that paid an invoice: `payment_intent` in API versions before
    2025-03-31, the invoice's `payments` since."""
    legacy = object_id(invoice.get("payment_intent"))
    if legacy:
        return legacy
    payments = invoice.get("payments")
    if payments is None and invoice.get("id"):
        payments = stripe_api.retrieve_invoice(str(invoice["id"])).get("payments")
    for row in (payments or {}).get("data", []):
        paid = row.get("payment") or {}
        if paid.get("type", "payment_intent") == "payment_intent" and paid.get("payment_intent"):
            return object_id(paid["payment_intent"])
    return None


def _paid_now(session: dict[str, Any]) -> bool:
    return session.get("payment_status") in ("paid", "no_payment_required")


def _one_off(session: dict[str, Any]) -> bool:
    """A paid one-off gift's session is recorded with its confirmation, in one statement."""
    return session.get("mode") != "subscription" and _paid_now(session)


def checkout_completed(session: dict[str, Any]) -> str:
    donation = _checkout_donation(session, record=not _one_off(session))
    if donation is None:
        return "ignored: not a gift"
    if not _paid_now(session):
        return "pending"  # SEPA Direct Debit: the async_payment events follow
    return _settle_checkout(donation, session)


def _settle_checkout(donation: Donation, session: dict[str, Any]) -> str:
    if session.get("mode") == "subscription":
        invoice_id = object_id(session.get("invoice"))
        intent = _invoice_intent(stripe_api.retrieve_invoice(invoice_id)) if invoice_id else None
        if invoice_id:
            record_payment(donation, "invoice", invoice_id, donation.amount_minor)
        return confirm_with_intent(donation, intent, **_paid(session, "amount_total"))
    recorded = [("checkout_session", str(session["id"]), donation.amount_minor)]
    return confirm_with_intent(
        donation,
        object_id(session.get("payment_intent")),
        **_paid(session, "amount_total"),
        also_record=recorded if _one_off(session) else (),
    )


def _paid(obj: dict[str, Any], field: str) -> dict[str, Any]:
    """What a signed session or invoice says was paid, if it says."""
    amount, currency = obj.get(field), obj.get("currency")
    if amount is None or not currency:
        return {}
    return {"paid_minor": int(amount), "paid_currency": str(currency)}


def async_payment_succeeded(session: dict[str, Any]) -> str:
    donation = _checkout_donation(session, record=not _one_off(session))
    if donation is None:
        return "ignored: not a gift"
    return _settle_checkout(donation, session)


def async_payment_failed(session: dict[str, Any]) -> str:
    donation = _checkout_donation(session)
    if donation is None:
        return "ignored: not a gift"
    if donation.status != DonationStatus.PENDING:
        return f"ignored: the donation is {donation.status}"
    donation.status = DonationStatus.FAILED.value
    db.session.flush()
    audit.record_change_row(donation, None, "donation.failed", via=PROVIDER)
    return "failed"


# Monthly plans -----------------------------------------------------------------------------


def _invoice_subscription(invoice: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    legacy = invoice.get("subscription_details") or {}
    subscription_id = object_id(details.get("subscription")) or object_id(
        invoice.get("subscription")
    )
    return subscription_id, details.get("metadata") or legacy.get("metadata") or {}


def _plan_of(subscription_id: str, metadata: dict[str, Any]) -> RecurringPlan | None:
    plan = db.session.scalars(
        select(RecurringPlan).where(RecurringPlan.external_id == subscription_id)
    ).first()
    if plan is not None:
        return plan
    if not metadata:
        metadata = stripe_api.retrieve_subscription(subscription_id).get("metadata") or {}
    donation = donation_by_metadata(metadata)
    return ensure_plan(donation, subscription_id) if donation is not None else None


def invoice_paid(invoice: dict[str, Any]) -> str:
    subscription_id, metadata = _invoice_subscription(invoice)
    if not subscription_id:
        return "ignored: not a subscription's invoice"
    plan = _plan_of(subscription_id, metadata)
    if plan is None:
        return "ignored: not a gift"
    invoice_id = str(invoice["id"])
    seen = payment("invoice", invoice_id)
    if seen is not None:
        donation = db.session.get_one(Donation, seen.donation_id)
        if donation.status != DonationStatus.PENDING:
            return "already confirmed"
    elif invoice.get("billing_reason") == "subscription_create":
        # The checkout's own gift, not a second one.
        first = donation_by_metadata(metadata) or first_gift(plan)
        if first is None:
            raise RetryLater("the plan's first gift is not known yet")
        donation = first
    else:
        if int(invoice.get("amount_paid") or 0) <= 0:
            return "ignored: nothing paid"
        donation = renewal(plan, int(invoice.get("amount_paid") or 0))
    record_payment(donation, "invoice", invoice_id, donation.amount_minor)
    if int(invoice.get("amount_paid") or 0) != donation.amount_minor:
        raise EventError("the amount paid is not the gift's amount")
    return confirm_with_intent(donation, _invoice_intent(invoice), **_paid(invoice, "amount_paid"))


def subscription_deleted(subscription: dict[str, Any]) -> str:
    plan = db.session.scalars(
        select(RecurringPlan).where(RecurringPlan.external_id == str(subscription["id"]))
    ).first()
    if plan is None:
        if donation_by_metadata(subscription.get("metadata")) is not None:
            raise RetryLater("the plan of this subscription is not known yet")
        return "ignored: not a gift"
    return "cancelled" if cancel_plan(plan) else "already cancelled"


# Money taken back --------------------------------------------------------------------------


def _settled_donation(
    payment_intent_id: str | None, charge: dict[str, Any] | None = None
) -> Donation | None:
    """The confirmed gift a charge paid; RetryLater while it is one of ours not confirmed yet.

    A monthly renewal's charge names no gift (its intent carries no metadata) and its gift
    exists only once the invoice is settled: when the refund or dispute comes before the
    invoice's `invoice.paid`, the invoice as Stripe holds it now is settled first, exactly as
    that event will find it. The event, when it comes, finds the gift confirmed."""
    donation = donation_by_intent(payment_intent_id)
    if donation is None and payment_intent_id:
        intent = stripe_api.retrieve_payment_intent(payment_intent_id)
        if donation_by_metadata(intent.get("metadata")) is not None:
            raise RetryLater("the payment is not confirmed yet")
        invoice_id = _invoice_of(payment_intent_id, charge or {}, intent)
        if invoice_id is None:
            return None
        invoice = stripe_api.retrieve_invoice(invoice_id)
        if invoice.get("status") != "paid":
            raise RetryLater("the invoice this payment belongs to is not paid yet")
        invoice_paid(invoice)
        donation = donation_by_intent(payment_intent_id)
    if donation is not None and donation.status == DonationStatus.PENDING:
        raise RetryLater("the payment is not confirmed yet")
    return donation


def _invoice_of(
    payment_intent_id: str, charge: dict[str, Any], intent: dict[str, Any]
) -> str | None:
    """The invoice an intent paid: named on the charge or intent in API versions before
    2025-03-31, found through the invoice's payments since."""
    named = object_id(charge.get("invoice")) or object_id(intent.get("invoice"))
    return named or stripe_api.invoice_paid_by(payment_intent_id)


def charge_refunded(charge: dict[str, Any]) -> str:
    donation = _settled_donation(object_id(charge.get("payment_intent")), charge)
    if donation is None:
        return "ignored: not a gift"
    if str(charge.get("currency", "")).upper() != donation.currency:
        raise EventError("the refund is not in the gift's currency")
    refunded_total = int(charge.get("amount_refunded") or 0)
    before = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
            Payment.donation_id == donation.id, Payment.kind == "refund"
        )
    )
    amount = refunded_total - int(before or 0)
    if amount <= 0:
        return "already refunded"
    # The total refunded so far names the step: the same event twice is one refund.
    record_payment(donation, "refund", f"{charge['id']}:{refunded_total}", amount)
    if reverse_donation(donation, amount, kind="refund"):
        _record_taken_back(donation, "donation.refunded", amount)
    return "refunded"


def dispute_created(dispute: dict[str, Any]) -> str:
    intent_id = object_id(dispute.get("payment_intent"))
    if not intent_id and object_id(dispute.get("charge")):
        charge = stripe_api.client().v1.charges.retrieve(str(object_id(dispute["charge"])))
        intent_id = object_id(stripe_api.as_dict(charge).get("payment_intent"))
    donation = _settled_donation(intent_id)
    if donation is None:
        return "ignored: not a gift"
    if payment("dispute", str(dispute["id"])) is not None:
        return "already disputed"
    fee = sum(fee_of(bt, donation) for bt in dispute.get("balance_transactions") or [])
    amount = int(dispute.get("amount") or 0)
    record_payment(donation, "dispute", str(dispute["id"]), amount, fee)
    if reverse_donation(donation, amount, kind="chargeback", extra_fee_minor=fee):
        _record_taken_back(donation, "donation.disputed", amount, fee_minor=fee)
    return "disputed"


def _record_taken_back(donation: Donation, action: str, amount_minor: int, **more: int) -> None:
    """The audit event of money Stripe took back: its amount and what the gift is now, never
    who gave it."""
    audit.record_change_row(
        donation,
        None,
        action,
        via=PROVIDER,
        amount_minor=amount_minor,
        currency=donation.currency,
        status=donation.status,
        **more,
    )


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": checkout_completed,
    "checkout.session.async_payment_succeeded": async_payment_succeeded,
    "checkout.session.async_payment_failed": async_payment_failed,
    "invoice.paid": invoice_paid,
    "charge.refunded": charge_refunded,
    "charge.dispute.created": dispute_created,
    "customer.subscription.deleted": subscription_deleted,
}

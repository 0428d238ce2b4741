"""Settling a Stripe payment into a confirmed gift: which donation an object of Stripe's belongs
to, what the payment cost (the fee Stripe charged, from its balance transaction, in the gift's
currency: read by the worker after the confirmation, `settle_stripe_fee`), the monthly plan
behind a subscription, and each renewal as its own donation.

Everything Stripe is asked is asked before a lock is taken (`confirm_donation`'s, or the
fee's), so no lock is held over the network. Payment rows record each Stripe object by its id
(unique per provider), which is what makes a renewal invoice one donation however often it
arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import stripe
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ngo import audit, deferred_writes, outbox
from ngo.donations import fee_settlement, fees, rates, stripe_api
from ngo.donations.confirmation import confirm_donation
from ngo.donations.models import (
    Donation,
    DonationStatus,
    Frequency,
    Payment,
    PaymentMethod,
    RecurringPlan,
)
from ngo.extensions import db, table_of
from ngo.money import minor_units
from ngo.timeutil import utcnow

PROVIDER = stripe_api.PROVIDER
_METHODS = {m.value for m in PaymentMethod} - {"bank_transfer", "cash"}


class EventError(Exception):
    """The event cannot be applied as it stands (an amount that does not match): 422, and
    Stripe sends it again, where a treasurer sees it failing."""


class RetryLater(Exception):  # noqa: N818  (a signal to the caller, not a failure)
    """The event is about something not settled yet (a refund before the payment's
    confirmation): 409, and Stripe sends it again later."""


def object_id(value: Any) -> str | None:
    """Stripe sends a related object as its id or, expanded, as the object."""
    if isinstance(value, dict):
        return value.get("id")
    return value if isinstance(value, str) and value else None


# Built once: every webhook runs them, and building them cost more than running them.
_DONATION_BY_PUBLIC_ID = select(Donation).where(Donation.public_id == bindparam("public_id"))
_PAYMENTS = table_of(Payment)
_PAYMENT = select(Payment).where(
    Payment.provider == PROVIDER,
    Payment.kind == bindparam("kind"),
    Payment.external_id == bindparam("external_id"),
)


# In session.info: gifts read by public id with the event's record (`read_with_event`), so the
# handler's own lookup asks the database nothing more.
_READ_WITH_EVENT = "ngo.donations.read_with_event"


def metadata_public_id(metadata: dict[str, Any] | None) -> str | None:
    """The gift's public id that a Checkout session's metadata names, if any."""
    public_id = (metadata or {}).get(stripe_api.METADATA_KEY)
    return str(public_id) if public_id else None


def donation_by_metadata(metadata: dict[str, Any] | None) -> Donation | None:
    public_id = metadata_public_id(metadata)
    if not public_id:
        return None
    read: dict[str, Donation | None] = db.session.info.get(_READ_WITH_EVENT, {})
    if public_id in read:
        return read[public_id]
    return db.session.scalars(_DONATION_BY_PUBLIC_ID, {"public_id": public_id}).first()


def read_with_event(public_id: str, donation: Donation | None) -> None:
    """What the statement that recorded the event read of the gift `public_id`, for
    `donation_by_metadata` until `forget_read_with_event`."""
    db.session.info.setdefault(_READ_WITH_EVENT, {})[public_id] = donation


def forget_read_with_event() -> None:
    db.session.info.pop(_READ_WITH_EVENT, None)


def payment(kind: str, external_id: str) -> Payment | None:
    return db.session.scalars(_PAYMENT, {"kind": kind, "external_id": external_id}).first()


_PAYMENT_ID = select(_PAYMENTS.c.id).where(
    _PAYMENTS.c.provider == PROVIDER,
    _PAYMENTS.c.kind == bindparam("kind"),
    _PAYMENTS.c.external_id == bindparam("external_id"),
)
# A payment is recorded once per Stripe object (unique by provider and id): a second record
# of it changes nothing, in the one statement.
_INSERT_PAYMENT = {
    "sqlite": sqlite_insert(_PAYMENTS).on_conflict_do_nothing(
        index_elements=["provider", "external_id"]
    ),
    "postgresql": postgresql_insert(_PAYMENTS).on_conflict_do_nothing(
        index_elements=["provider", "external_id"]
    ),
}


def record_payment(
    donation: Donation, kind: str, external_id: str, amount_minor: int, fee_minor: int = 0
) -> None:
    if db.session.connection().scalar(_PAYMENT_ID, {"kind": kind, "external_id": external_id}):
        return
    row = Payment(
        donation_id=donation.id,
        provider=PROVIDER,
        kind=kind,
        external_id=external_id,
        amount_minor=amount_minor,
        currency=donation.currency,
        fee_minor=fee_minor,
    )
    db.session.add(row)
    db.session.flush()


def record_payment_rows(
    donation: Donation, rows: Sequence[tuple[str, str, int]], fee_minor: int = 0
) -> None:
    """`record_payment` of each (kind, external id, amount) as one statement on the session's
    connection, for confirming a gift (its Checkout session and payment intent, once the gift
    is claimed)."""
    if not rows:
        return
    session = db.session()
    now = utcnow()
    # Deferred writes: nothing reads them back in the gift's transaction (on PostgreSQL they go
    # with the ledger's rows or the audit event's, in one statement).
    deferred_writes.defer_rows(
        session,
        _INSERT_PAYMENT[session.connection().dialect.name],
        [
            {
                "donation_id": donation.id,
                "provider": PROVIDER,
                "kind": kind,
                "external_id": external_id,
                "amount_minor": amount_minor,
                "currency": donation.currency,
                "fee_minor": fee_minor,
                "created_at": now,
            }
            for kind, external_id, amount_minor in rows
        ],
    )


def donation_by_intent(payment_intent_id: str | None) -> Donation | None:
    if not payment_intent_id:
        return None
    row = payment("payment_intent", payment_intent_id)
    return db.session.get(Donation, row.donation_id) if row is not None else None


# What a payment cost -------------------------------------------------------------------------


def _converted_fee(
    fee: int, from_currency: str, to_currency: str, bt: dict[str, Any], organisation_id: int
) -> int:
    """A fee in the balance transaction's currency, in the gift's: at the stored rate of
    `donations.rates` where one exists, else at the rate Stripe itself used for the charge."""
    on = datetime.fromtimestamp(int(bt["created"]), UTC).date() if bt.get("created") else None
    try:
        return rates.convert(
            fee, from_currency, to_currency, on or date.today(), organisation_id=organisation_id
        ).amount_minor
    except rates.ExchangeRateError:
        pass  # no usable stored rate: Stripe's own
    rate = bt.get("exchange_rate")
    if not rate:
        raise RetryLater("no rate to convert the fee")
    # exchange_rate: units of the balance currency per unit of the charge's currency.
    shift = minor_units(to_currency) - minor_units(from_currency)
    value = (Decimal(fee) / Decimal(str(rate))).scaleb(shift)
    return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))


def fee_of(balance_transaction: Any, donation: Donation) -> int:
    """The fee Stripe charged for a payment, in the gift's currency."""
    currency = donation.currency
    bt = balance_transaction
    if isinstance(bt, str):
        bt = stripe_api.retrieve_balance_transaction(bt)
    if not isinstance(bt, dict):
        return 0
    fee = int(bt.get("fee") or 0)
    bt_currency = str(bt.get("currency") or currency).upper()
    if fee == 0 or bt_currency == currency:
        return fee
    return _converted_fee(fee, bt_currency, currency, bt, donation.organisation_id)


def _method(charge: dict[str, Any]) -> str:
    kind = str((charge.get("payment_method_details") or {}).get("type") or "card")
    return kind if kind in _METHODS else PaymentMethod.OTHER.value


# Confirming --------------------------------------------------------------------------------

# The outbox kind that asks the worker for a confirmed gift's fee (donations.tasks).
FEE_KIND = "donations.stripe_fee"


def confirm_with_intent(
    donation: Donation,
    payment_intent_id: str | None,
    *,
    paid_minor: int | None = None,
    paid_currency: str | None = None,
    also_record: Sequence[tuple[str, str, int]] = (),
) -> str:
    """Confirm a pending gift paid through a payment intent. `paid_minor` and `paid_currency`
    are what the signed event says was paid (a Checkout session's `amount_total`, an invoice's
    `amount_paid`): they must be the gift's. Stripe is not asked anything here: the fee it
    charged and the method the donor used are the worker's to read afterwards (FEE_KIND, in
    this transaction's outbox), and until then the gift holds back the fee the rule expects
    (`donations.fee_settlement`). Only an event that does not say what was paid makes the
    webhook ask Stripe for the intent. `also_record`: payment rows (kind, Stripe's id, amount)
    written with the payment intent's, in its statement."""
    if donation.status == DonationStatus.CONFIRMED:
        record_payment_rows(donation, also_record)
        return "already confirmed"
    if donation.status != DonationStatus.PENDING:
        record_payment_rows(donation, also_record)
        return f"ignored: the donation is {donation.status}"
    received = held = 0
    if payment_intent_id:
        if paid_minor is None or not paid_currency:
            intent = stripe_api.retrieve_payment_intent(payment_intent_id, with_charge=False)
            paid_minor = int(intent.get("amount_received") or intent.get("amount") or 0)
            paid_currency = str(intent.get("currency") or "")
        received = int(paid_minor)
        if received != donation.amount_minor or paid_currency.upper() != donation.currency:
            raise EventError("the amount paid is not the gift's amount")
        held = min(
            donation.fee_covered_minor or fees.estimated_fee(received, donation.currency),
            received,
        )
    # The worker asks Stripe for the fee and the method afterwards: its message goes with
    # the receipt's, in the confirmation's one outbox statement.
    settle_fee = [(FEE_KIND, {"donation_id": donation.id, "payment_intent": payment_intent_id})]
    if not confirm_donation(
        donation, held_fee_minor=held, also_enqueue=settle_fee if payment_intent_id else ()
    ):
        record_payment_rows(donation, also_record)
        return "already confirmed"  # by another delivery at the same time
    # Recorded once the gift is claimed: the transaction's first write starts its hold on the
    # database (all of it, on SQLite), so it comes as late as it can.
    rows = [*also_record]
    if payment_intent_id:
        rows.append(("payment_intent", payment_intent_id, received))
    record_payment_rows(donation, rows)
    # By Stripe, not by a person: one INSERT after the chain's head, as the claim is written.
    # (The method is the one the gift was confirmed with; the charge's, if it differs, comes
    # with the fee.)
    audit.record_change_row(
        donation, None, "donation.confirmed", via=PROVIDER, method=donation.method
    )
    return "confirmed"


# The fee, in the worker --------------------------------------------------------------------


class StripeUnavailableError(Exception):
    """Stripe could not be asked now (no connection, its error, a rate limit): the outbox
    tries again with its backoff. `safe_message` names the library's error class only."""

    def __init__(self, safe_message: str) -> None:
        super().__init__(safe_message)
        self.safe_message = safe_message


def _paid_charge(payment_intent_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The payment intent and its latest charge with that charge's balance transaction."""
    try:
        intent = stripe_api.retrieve_payment_intent(payment_intent_id)
        charge = intent.get("latest_charge")
        if isinstance(charge, str):
            charge = stripe_api.as_dict(
                stripe_api.client().v1.charges.retrieve(charge, {"expand": ["balance_transaction"]})
            )
        return intent, charge or {}
    except stripe.InvalidRequestError as exc:
        # Stripe has no such payment (a key of another account): trying again cannot help.
        raise outbox.PermanentError(
            f"Stripe refused the request ({exc.code or 'invalid'})"[:200]
        ) from None
    except stripe.StripeError as exc:
        raise StripeUnavailableError(f"Stripe {type(exc).__name__}") from None


def settle_stripe_fee(payload: dict[str, Any]) -> None:
    """The outbox handler of FEE_KIND: read the fee Stripe charged for a confirmed gift (and
    the method the donor used) and post it (`fee_settlement.settle_fee`, once per gift: a
    second run finds it posted and asks Stripe nothing). A refund or chargeback that came
    first is taken into account there."""
    donation = db.session.get(Donation, int(payload["donation_id"]))
    if donation is None:
        raise outbox.PermanentError("the gift is not there")
    if fee_settlement.fee_settled(donation.id):
        return
    intent_id = str(payload["payment_intent"])
    intent, charge = _paid_charge(intent_id)
    received = int(intent.get("amount_received") or intent.get("amount") or 0)
    if received != donation.amount_minor or str(intent.get("currency", "")).upper() != (
        donation.currency
    ):
        raise outbox.PermanentError("the amount Stripe received is not the gift's")
    try:
        fee = min(fee_of(charge.get("balance_transaction"), donation), received)
    except stripe.StripeError as exc:
        raise StripeUnavailableError(f"Stripe {type(exc).__name__}") from None
    if fee_settlement.settle_fee(donation, fee, method=_method(charge)):
        db.session.execute(
            update(Payment)
            .where(
                Payment.provider == PROVIDER,
                Payment.kind == "payment_intent",
                Payment.external_id == intent_id,
            )
            .values(fee_minor=fee)
            .execution_options(synchronize_session=False)
        )


def ensure_plan(donation: Donation, subscription_id: str) -> RecurringPlan:
    """The monthly plan of a subscription, made from its first gift the first time either the
    checkout or the first invoice is seen."""
    plan = db.session.scalars(
        select(RecurringPlan).where(RecurringPlan.external_id == subscription_id)
    ).first()
    if plan is None and donation.recurring_plan_id is not None:
        plan = db.session.get(RecurringPlan, donation.recurring_plan_id)
    if plan is None:
        plan = RecurringPlan(
            organisation_id=donation.organisation_id,
            appeal_id=donation.appeal_id,
            budget_line_id=donation.budget_line_id,
            donor_id=donation.donor_id,
            amount_minor=donation.amount_minor,
            currency=donation.currency,
            provider=PROVIDER,
            display_name=donation.display_name,
        )
        db.session.add(plan)
    plan.external_id = plan.external_id or subscription_id
    db.session.flush()
    donation.recurring_plan_id = plan.id
    db.session.flush()
    return plan


def first_gift(plan: RecurringPlan) -> Donation | None:
    return db.session.scalars(
        select(Donation).where(Donation.recurring_plan_id == plan.id).order_by(Donation.id)
    ).first()


def renewal(plan: RecurringPlan, amount_minor: int) -> Donation:
    """A new pending gift for one more month of the plan, like its first."""
    first = first_gift(plan)
    donation = Donation(
        organisation_id=plan.organisation_id,
        appeal_id=plan.appeal_id,
        budget_line_id=plan.budget_line_id,
        donor_id=plan.donor_id,
        recurring_plan_id=plan.id,
        amount_minor=amount_minor,
        currency=plan.currency,
        fee_covered_minor=min(first.fee_covered_minor, amount_minor) if first else 0,
        method=first.method if first else PaymentMethod.CARD.value,
        frequency=Frequency.MONTHLY.value,
        display_name=plan.display_name,
    )
    db.session.add(donation)
    db.session.flush()
    return donation


def cancel_plan(plan: RecurringPlan, *, via: str = PROVIDER) -> bool:
    """End a monthly plan here; False if it had ended. The audit log files it under the
    plan's first gift (a plan names no donor there either); `via` says who ended it: Stripe
    (the subscription was deleted there) or the donor (the link in a receipt)."""
    if plan.cancelled_at is not None:
        return False
    plan.cancelled_at = utcnow()
    db.session.flush()
    gift = first_gift(plan)
    if gift is not None:
        audit.record_change(gift, None, "donation.monthly_cancelled", via=via)
    return True

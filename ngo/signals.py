"""The named signals one domain sends and a higher one receives.

A lower domain must not import a higher one (cases knows nothing of appeals), yet what happens
in it can oblige the higher one to act: a withdrawn consent must take an appeal off the public
site before the same commit ends. The lower domain sends a signal named here; the higher one
connects its receiver in its `init_app`. Receivers run synchronously, in the sender's
transaction: what they change commits or rolls back with the change that caused it, and an
exception in a receiver aborts the sender's operation.

Every signal lists its keyword arguments; the sender (the first positional argument) is named
too. Arguments carry ids and model objects, never personal values.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

consent_withdrawn = _signals.signal(
    "consent-withdrawn",
    doc="""A consent stopped being in force before its end date, or an existing consent row
    changed in any other way (withdrawal is the only change the services make).

    sender: the SQLAlchemy Session that flushed the change.
    beneficiary_ids: frozenset[int], the cases whose consents changed.""",
)

consent_given = _signals.signal(
    "consent-given",
    doc="""A consent was recorded (a new row), so something may now be published.

    sender: the SQLAlchemy Session that flushed the change.
    beneficiary_ids: frozenset[int], the cases with a new consent.""",
)

story_verification_changed = _signals.signal(
    "story-verification-changed",
    doc="""A story, one of its versions or a verification of a version was added or changed:
    a version may have been verified, refused, revoked or superseded.

    sender: the SQLAlchemy Session that flushed the change.
    beneficiary_ids: frozenset[int], cases whose story row changed.
    story_ids: frozenset[int], stories with a new or changed version.
    story_version_ids: frozenset[int], versions whose verification changed.""",
)

private_values_changed = _signals.signal(
    "private-values-changed",
    doc="""A case's own record or its household changed: the private values the publication
    safety check looks for in public text may be different now (and so may the case's state).

    sender: the SQLAlchemy Session that flushed the change.
    beneficiary_ids: frozenset[int], the cases concerned.""",
)

case_erased = _signals.signal(
    "case-erased",
    doc="""A case is being erased (right to erasure). Receivers erase their own copies of the
    person's data (an appeal's public text, its photos, readers' reports) before the caller
    commits; they run again, harmlessly, when an erasure is repeated.

    sender: the Beneficiary, already anonymised but not yet flushed.
    actor: the User who erases it.""",
)

donation_confirmed = _signals.signal(
    "donation-confirmed",
    doc="""A payment provider's webhook, a matched bank statement line or a treasurer
    confirmed a donation (donations.confirmation.confirm_donation). Sent after the ledger
    transaction, the appeal's counters and the outbox row asking for the receipt are in the
    session, inside the confirming transaction.

    sender: the Donation.
    actor_id: the id of the User who confirmed it, or None for a webhook or a statement.""",
)

donor_erased = _signals.signal(
    "donor-erased",
    doc="""A donor is being erased (right to erasure, donations.rights.erase_donor): their
    name and e-mail are gone from the donor row. Receivers drop their own copies of the
    person's data (the receipts' stored PDFs name them) before the caller commits; they run
    again, harmlessly, when an erasure is repeated.

    sender: the Donor, already anonymised and flushed.
    actor_id: the id of the User who erases it, or None for the operator.""",
)

invitation_accepted = _signals.signal(
    "invitation-accepted",
    doc="""Someone accepted an invitation and is now a member of its organisation (a new
    account or an existing one), inside the accepting transaction.

    sender: the Invitation.
    user: the User who joined.""",
)

ALL = (
    consent_withdrawn,
    consent_given,
    story_verification_changed,
    private_values_changed,
    case_erased,
    donation_confirmed,
    donor_erased,
    invitation_accepted,
)

"""Bank accounts of an organisation: add, edit, retire, and the two look-ups other parts use
(the account donors transfer to in a currency; the organisation a statement's IBAN belongs to).

IBAN and BIC are checked and normalised by `schwifty` (check digits, each country's length and
bank code registry). An IBAN belongs to one organisation only, so that a statement always
finds its organisation unambiguously; the refusal does not say which one has it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select

from ngo import audit
from ngo.accounts.models import Organisation, User
from ngo.donations.models import BankAccount
from ngo.extensions import db
from ngo.money import MoneyError
from ngo.money.currencies import check_currency
from ngo.rules import RuleError
from ngo.timeutil import utcnow

HOLDER_MAX = 140
BANK_NAME_MAX = 140


class BankAccountError(RuleError):
    """A bank account that cannot be stored as given."""


@dataclass(frozen=True)
class BankAccountDetails:
    account_holder: str
    bic: str
    bank_name: str = ""


def normalise_iban(value: str) -> str:
    """The IBAN in compact upper-case form, or BankAccountError (field "iban")."""
    try:
        return str(IBAN(value or "").compact)
    except (SchwiftyException, ValueError) as exc:
        raise BankAccountError(
            _l("This is not a valid IBAN: check the country code, the digits and their number."),
            field="iban",
        ) from exc


def normalise_bic(value: str) -> str:
    """The BIC in compact upper-case form (8 or 11 characters), or BankAccountError."""
    try:
        return str(BIC(value or "").compact)
    except (SchwiftyException, ValueError) as exc:
        raise BankAccountError(
            _l("This is not a valid BIC (SWIFT code): 8 or 11 letters and digits."), field="bic"
        ) from exc


def _checked_details(details: BankAccountDetails, iban: str) -> BankAccountDetails:
    holder = " ".join((details.account_holder or "").split())
    if not holder:
        raise BankAccountError(_l("Give the account holder's name."), field="account_holder")
    if len(holder) > HOLDER_MAX:
        raise BankAccountError(
            _l("Use at most %(max)d characters here.", max=HOLDER_MAX), field="account_holder"
        )
    bank_name = " ".join((details.bank_name or "").split())
    if len(bank_name) > BANK_NAME_MAX:
        raise BankAccountError(
            _l("Use at most %(max)d characters here.", max=BANK_NAME_MAX), field="bank_name"
        )
    bic = normalise_bic(details.bic)
    if BIC(bic).country_code != IBAN(iban).country_code:
        raise BankAccountError(
            _l("This BIC is of a bank in another country than the IBAN."), field="bic"
        )
    if not bank_name:
        bank_name = str(IBAN(iban).bank_name or "")[:BANK_NAME_MAX]
    return BankAccountDetails(account_holder=holder, bic=bic, bank_name=bank_name)


def _check_currency(currency: str) -> str:
    try:
        return check_currency((currency or "").strip().upper())
    except MoneyError as exc:
        raise BankAccountError(_l("Choose a currency."), field="currency") from exc


def add_bank_account(
    organisation: Organisation,
    *,
    currency: str,
    iban: str,
    details: BankAccountDetails,
    actor: User,
) -> BankAccount:
    currency = _check_currency(currency)
    iban = normalise_iban(iban)
    checked = _checked_details(details, iban)
    if bank_account_for(organisation, currency) is not None:
        raise BankAccountError(
            _l(
                "The organisation already has an active account in %(currency)s. Retire it "
                "first: donors are only ever shown one account per currency.",
                currency=currency,
            ),
            field="currency",
        )
    elsewhere = db.session.scalar(
        select(BankAccount.id).where(
            BankAccount.iban == iban, BankAccount.organisation_id != organisation.id
        )
    )
    if elsewhere is not None:
        raise BankAccountError(
            _l("This IBAN is registered to another organisation on this site."), field="iban"
        )
    account = BankAccount(
        organisation_id=organisation.id,
        currency=currency,
        iban=iban,
        bic=checked.bic,
        account_holder=checked.account_holder,
        bank_name=checked.bank_name or None,
        created_by_id=actor.id,
    )
    db.session.add(account)
    db.session.flush()
    audit.record_change(account, actor, "bank_account.added", currency=currency)
    return account


def edit_bank_account(
    account: BankAccount, details: BankAccountDetails, *, actor: User
) -> list[str]:
    """Change the holder, BIC and bank name. IBAN and currency stay: a different account is a
    new one (retire this one), so that statements and donations keep naming the right one."""
    if not account.is_active:
        raise BankAccountError(_l("A retired account cannot be changed."))
    checked = _checked_details(details, account.iban)
    changed = []
    for name in ("account_holder", "bic", "bank_name"):
        value = getattr(checked, name) or None
        if getattr(account, name) != value:
            setattr(account, name, value)
            changed.append(name)
    if changed:
        audit.record_change(account, actor, "bank_account.changed", fields=changed)
        db.session.flush()
    return changed


def retire_bank_account(account: BankAccount, *, actor: User) -> None:
    if not account.is_active:
        raise BankAccountError(_l("This account is already retired."))
    account.retired_at = utcnow()
    account.retired_by_id = actor.id
    audit.record_change(account, actor, "bank_account.retired", currency=account.currency)
    db.session.flush()


def bank_accounts_of(organisation: Organisation) -> list[BankAccount]:
    """Active accounts first (by currency), then retired ones, newest first."""
    accounts = db.session.scalars(
        select(BankAccount).where(BankAccount.organisation_id == organisation.id)
    ).all()
    return sorted(
        accounts,
        key=lambda a: (not a.is_active, a.currency, -(a.retired_at or a.created_at).timestamp()),
    )


def bank_account_for(organisation: Organisation | int, currency: str) -> BankAccount | None:
    """The active account donors transfer `currency` to, or None."""
    organisation_id = organisation if isinstance(organisation, int) else organisation.id
    return db.session.scalars(
        select(BankAccount).where(
            BankAccount.organisation_id == organisation_id,
            BankAccount.currency == currency,
            BankAccount.retired_at.is_(None),
        )
    ).first()


def find_organisation_by_iban(iban: str) -> Organisation | None:
    """The organisation a statement's account belongs to (retired accounts included: an old
    statement may be imported late), or None for an IBAN that is invalid or not ours."""
    try:
        compact = str(IBAN(iban or "").compact)
    except (SchwiftyException, ValueError):
        return None
    return db.session.scalars(
        select(Organisation)
        .join(BankAccount, BankAccount.organisation_id == Organisation.id)
        .where(BankAccount.iban == compact)
        .order_by(BankAccount.retired_at.is_not(None), BankAccount.id.desc())
        .limit(1)
    ).first()

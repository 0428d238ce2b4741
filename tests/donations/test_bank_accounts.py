"""Bank accounts: IBAN and BIC checked and normalised by schwifty, one active account per
currency, one organisation per IBAN, the look-ups the statement importer and the donate page
use, and the admin pages (with another organisation's accounts a 404)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ngo.audit import AuditEvent
from ngo.donations import bank_accounts
from ngo.donations.bank_accounts import BankAccountDetails, BankAccountError
from ngo.donations.models import BankAccount
from ngo.extensions import db
from tests import factories
from tests.conftest import login

PL_IBAN = "PL61 1090 1014 0000 0712 1981 2874"
PL_BIC = "WBKPPLPP"
DE_IBAN = "de89 3704 0044 0532 0130 00"
DE_BIC = "cobadeffxxx"


def add(organisation, actor, currency="PLN", iban=PL_IBAN, bic=PL_BIC, **details):
    return bank_accounts.add_bank_account(
        organisation,
        currency=currency,
        iban=iban,
        details=BankAccountDetails(
            account_holder=details.pop("holder", "Fundacja Test"), bic=bic, **details
        ),
        actor=actor,
    )


@pytest.fixture
def admin_of(make_user):
    def make(organisation=None):
        user = make_user("admin", **({"organisation": organisation} if organisation else {}))
        return user, user.memberships[0].organisation

    return make


def test_an_account_is_stored_normalised(app, admin_of):
    admin, organisation = admin_of()
    account = add(organisation, admin, currency="EUR", iban=DE_IBAN, bic=DE_BIC)
    assert (account.iban, account.bic, account.currency) == (
        "DE89370400440532013000",
        "COBADEFFXXX",
        "EUR",
    )
    assert account.iban_formatted == "DE89 3704 0044 0532 0130 00"
    assert account.bank_name == "Commerzbank"  # from the IBAN's bank code, when not given


@pytest.mark.parametrize(
    ("iban", "bic", "field"),
    [
        ("PL61 1090 1014 0000 0712 1981 2875", PL_BIC, "iban"),  # check digits
        ("PL61 1090 1014 0000 0712 1981", PL_BIC, "iban"),  # too short
        ("XX61109010140000071219812874", PL_BIC, "iban"),  # no such country
        ("", PL_BIC, "iban"),
        (PL_IBAN, "WBKP PL", "bic"),
        (PL_IBAN, "WBKPXXPP", "bic"),  # no such country
        (PL_IBAN, "12345678", "bic"),
        (PL_IBAN, "COBADEFF", "bic"),  # a German bank for a Polish account
    ],
)
def test_a_bad_iban_or_bic_is_refused_at_its_field(app, admin_of, iban, bic, field):
    admin, organisation = admin_of()
    with pytest.raises(BankAccountError) as refused:
        add(organisation, admin, iban=iban, bic=bic)
    assert refused.value.field == field
    assert db.session.scalars(select(BankAccount)).all() == []


def test_one_active_account_per_currency(app, admin_of):
    admin, organisation = admin_of()
    first = add(organisation, admin)
    with pytest.raises(BankAccountError, match="already has an active account in PLN"):
        add(organisation, admin, iban="PL27 1140 2004 0000 3002 0135 5387", bic="BREXPLPW")
    bank_accounts.retire_bank_account(first, actor=admin)
    second = add(organisation, admin, iban="PL27 1140 2004 0000 3002 0135 5387", bic="BREXPLPW")
    assert bank_accounts.bank_account_for(organisation, "PLN") == second
    assert bank_accounts.bank_account_for(organisation, "EUR") is None


def test_an_iban_belongs_to_one_organisation(app, admin_of):
    admin, organisation = admin_of()
    add(organisation, admin)
    other_admin, other = admin_of(factories.OrganisationFactory())
    with pytest.raises(BankAccountError) as refused:
        add(other, other_admin)
    assert refused.value.field == "iban"
    assert organisation.name not in str(refused.value.message)


def test_find_organisation_by_iban(app, admin_of):
    admin, organisation = admin_of()
    account = add(organisation, admin)
    assert bank_accounts.find_organisation_by_iban("PL61109010140000071219812874") == organisation
    assert bank_accounts.find_organisation_by_iban(PL_IBAN.lower()) == organisation
    bank_accounts.retire_bank_account(account, actor=admin)
    # An old statement of a retired account still finds its organisation.
    assert bank_accounts.find_organisation_by_iban(PL_IBAN) == organisation
    assert bank_accounts.find_organisation_by_iban(DE_IBAN) is None
    assert bank_accounts.find_organisation_by_iban("not an iban") is None


def test_editing_changes_only_holder_bic_and_bank_and_is_audited_without_values(app, admin_of):
    admin, organisation = admin_of()
    account = add(organisation, admin)
    changed = bank_accounts.edit_bank_account(
        account,
        BankAccountDetails(account_holder="Fundacja Nowa", bic="WBKPPLPPXXX", bank_name=""),
        actor=admin,
    )
    assert changed == ["account_holder", "bic"]
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "bank_account").order_by(AuditEvent.seq)
    ).all()
    assert [e.action for e in events] == ["bank_account.added", "bank_account.changed"]
    assert events[1].details == {"fields": ["account_holder", "bic"]}
    for event in events:
        assert "PL61" not in repr(event.details) and "Fundacja" not in repr(event.details)
    bank_accounts.retire_bank_account(account, actor=admin)
    with pytest.raises(BankAccountError):
        bank_accounts.retire_bank_account(account, actor=admin)


# The pages ------------------------------------------------------------------------------------


def test_an_admin_adds_edits_and_retires_an_account(app, client, admin_of):
    admin, _organisation = admin_of()
    login(client, admin)
    assert client.get("/admin/bank-accounts").status_code == 200
    assert client.get("/admin/bank-accounts/new").status_code == 200
    response = client.post(
        "/admin/bank-accounts/new",
        data={"currency": "PLN", "iban": PL_IBAN, "bic": PL_BIC, "account_holder": "Fundacja"},
    )
    assert response.status_code == 302
    account = db.session.scalars(select(BankAccount)).one()
    page = client.get("/admin/bank-accounts").get_data(as_text=True)
    assert "PL61 1090 1014 0000 0712 1981 2874" in page
    edit = client.post(
        f"/admin/bank-accounts/{account.id}",
        data={"account_holder": "Fundacja Wolność", "bic": "WBKPPLPPXXX", "bank_name": "Santander"},
    )
    assert edit.status_code == 302
    assert client.post(f"/admin/bank-accounts/{account.id}/retire").status_code == 302
    db.session.expire_all()
    assert account.retired_at is not None and account.bank_name == "Santander"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"currency": "PLN", "iban": "PL00 1234", "bic": PL_BIC}, "not a valid IBAN"),
        ({"currency": "PLN", "iban": PL_IBAN, "bic": "nope"}, "not a valid BIC"),
        ({"currency": "", "iban": PL_IBAN, "bic": PL_BIC}, "Choose a currency"),
        ({"currency": "PLN", "iban": PL_IBAN, "bic": PL_BIC, "account_holder": ""}, "holder"),
    ],
)
def test_the_form_shows_what_is_wrong(app, client, admin_of, data, message):
    admin, _organisation = admin_of()
    login(client, admin)
    response = client.post("/admin/bank-accounts/new", data={"account_holder": "F", **data})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(BankAccount)).all() == []


def test_a_duplicate_currency_is_a_form_error(app, client, admin_of):
    admin, organisation = admin_of()
    add(organisation, admin)
    login(client, admin)
    response = client.post(
        "/admin/bank-accounts/new",
        data={
            "currency": "PLN",
            "iban": "PL27 1140 2004 0000 3002 0135 5387",
            "bic": "BREXPLPW",
            "account_holder": "Fundacja",
        },
    )
    assert response.status_code == 400
    assert "already has an active account in PLN" in response.get_data(as_text=True)
    assert len(db.session.scalars(select(BankAccount)).all()) == 1


def test_another_organisations_account_is_not_found(app, client, admin_of):
    other_admin, other = admin_of(factories.OrganisationFactory())
    theirs = add(other, other_admin)
    admin, _organisation = admin_of()
    login(client, admin)
    assert client.get(f"/admin/bank-accounts/{theirs.id}").status_code == 404
    assert (
        client.post(
            f"/admin/bank-accounts/{theirs.id}", data={"account_holder": "X", "bic": PL_BIC}
        ).status_code
        == 404
    )
    assert client.post(f"/admin/bank-accounts/{theirs.id}/retire").status_code == 404
    assert "PL61" not in client.get("/admin/bank-accounts").get_data(as_text=True)
    db.session.expire_all()
    assert theirs.retired_at is None and theirs.account_holder == "Fundacja Test"


@pytest.mark.parametrize("role", ["caseworker", "verifier", "treasurer", "funder"])
def test_only_admins_manage_bank_accounts(app, client, make_user, role):
    login(client, make_user(role))
    assert client.get("/admin/bank-accounts").status_code == 403
    assert client.post("/admin/bank-accounts/new", data={}).status_code == 403

"""factory-boy factories for the models; users get a password and, by default, 2FA enrolled."""

from __future__ import annotations

import factory
import pyotp
from factory.alchemy import SQLAlchemyModelFactory

from ngo.accounts.models import Membership, Organisation, User
from ngo.accounts.passwords import hash_password
from ngo.cases.models import Beneficiary
from ngo.extensions import db
from ngo.timeutil import utcnow

PASSWORD = "correct horse battery staple"

__all__ = ["PASSWORD", "BeneficiaryFactory", "Organisation", "OrganisationFactory", "UserFactory"]


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class OrganisationFactory(_Base):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")


class UserFactory(_Base):
    """`UserFactory(role="verifier", organisation=org)`; `two_factor=False` leaves 2FA off."""

    class Meta:
        model = User
        exclude = ("two_factor", "password")

    role = "caseworker"
    organisation = factory.SubFactory(OrganisationFactory)
    two_factor = True
    password = PASSWORD

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password_hash = factory.LazyAttribute(lambda o: hash_password(o.password))
    totp_secret = factory.LazyAttribute(lambda o: pyotp.random_base32() if o.two_factor else None)
    totp_enabled_at = factory.LazyAttribute(lambda o: utcnow() if o.two_factor else None)

    @classmethod
    def _create(
        cls,
        model_class: type[User],
        *args: object,
        role: str,
        organisation: Organisation,
        **kwargs: object,
    ) -> User:
        user = model_class(**kwargs)
        user.memberships.append(Membership(organisation=organisation, role=role))
        db.session.add(user)
        db.session.commit()
        return user


class BeneficiaryFactory(_Base):
    """`BeneficiaryFactory(organisation=org, legal_name="...")`; names are blind-indexed."""

    class Meta:
        model = Beneficiary

    organisation = factory.SubFactory(OrganisationFactory)
    legal_name = factory.Sequence(lambda n: f"Person{n} Testowy")
    public_name = None
    country_of_residence = "Poland"
    city_of_residence = "Białystok"

    @classmethod
    def _create(
        cls, model_class: type[Beneficiary], *args: object, **kwargs: object
    ) -> Beneficiary:
        from ngo.cases.services import reindex_names

        organisation = kwargs.pop("organisation")
        beneficiary = model_class(organisation_id=organisation.id, **kwargs)
        db.session.add(beneficiary)
        db.session.flush()
        reindex_names(beneficiary)
        db.session.commit()
        return beneficiary

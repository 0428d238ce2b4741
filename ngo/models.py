"""Every model, imported in one place so that Alembic and the tests see the whole schema."""

from ngo.accounts.models import (
    Invitation,
    Membership,
    Organisation,
    PasswordReset,
    RecoveryCode,
    User,
)
from ngo.audit import AuditEvent
from ngo.campaigns import search  # noqa: F401  (the full-text index DDL, made with the table)
from ngo.campaigns.models import (
    Appeal,
    AppealSearchDocument,
    AppealTranslation,
    AppealUpdate,
    BudgetLine,
    BudgetLineLabel,
    ConcernReport,
    PublicImage,
    PublicSiteVersion,
    ReviewSnapshot,
    UpdateDelivery,
    UpdateSubscription,
)
from ngo.cases.models import (
    Beneficiary,
    BeneficiaryNameIndex,
    CaseNote,
    CaseTask,
    Consent,
    EvidenceItem,
    HouseholdMember,
    Story,
    StoryVersion,
    Verification,
    VerificationCheck,
)
from ngo.outbox import OutboxMessage

__all__ = [
    "Appeal",
    "AppealSearchDocument",
    "AppealTranslation",
    "AppealUpdate",
    "AuditEvent",
    "Beneficiary",
    "BeneficiaryNameIndex",
    "BudgetLine",
    "BudgetLineLabel",
    "CaseNote",
    "CaseTask",
    "ConcernReport",
    "Consent",
    "EvidenceItem",
    "HouseholdMember",
    "Invitation",
    "Membership",
    "Organisation",
    "OutboxMessage",
    "PasswordReset",
    "PublicImage",
    "PublicSiteVersion",
    "RecoveryCode",
    "ReviewSnapshot",
    "Story",
    "StoryVersion",
    "UpdateDelivery",
    "UpdateSubscription",
    "User",
    "Verification",
    "VerificationCheck",
]

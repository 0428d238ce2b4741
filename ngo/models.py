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
from ngo.campaigns.models import Appeal, AppealTranslation, BudgetLine, BudgetLineLabel
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
    "AppealTranslation",
    "AuditEvent",
    "Beneficiary",
    "BeneficiaryNameIndex",
    "BudgetLine",
    "BudgetLineLabel",
    "CaseNote",
    "CaseTask",
    "Consent",
    "EvidenceItem",
    "HouseholdMember",
    "Invitation",
    "Membership",
    "Organisation",
    "OutboxMessage",
    "PasswordReset",
    "RecoveryCode",
    "Story",
    "StoryVersion",
    "User",
    "Verification",
    "VerificationCheck",
]

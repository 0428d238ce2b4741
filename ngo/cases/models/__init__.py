"""Models of the cases domain, one file per aggregate."""

from ngo.cases.models.beneficiary import (
    Beneficiary,
    BeneficiaryNameIndex,
    CaseNote,
    CaseStatus,
    CaseTask,
    HouseholdMember,
    RiskLevel,
)
from ngo.cases.models.consent import Consent, ConsentAudience, ConsentItem, ConsentMethod
from ngo.cases.models.evidence import EvidenceItem, EvidenceKind
from ngo.cases.models.stories import (
    CheckKind,
    Story,
    StoryVersion,
    Verification,
    VerificationCheck,
    VerificationCheckEvidence,
    VersionStatus,
)

__all__ = [
    "Beneficiary",
    "BeneficiaryNameIndex",
    "CaseNote",
    "CaseStatus",
    "CaseTask",
    "CheckKind",
    "Consent",
    "ConsentAudience",
    "ConsentItem",
    "ConsentMethod",
    "EvidenceItem",
    "EvidenceKind",
    "HouseholdMember",
    "RiskLevel",
    "Story",
    "StoryVersion",
    "Verification",
    "VerificationCheck",
    "VerificationCheckEvidence",
    "VersionStatus",
]

"""Appeals and their budgets, updates, concern reports and search documents. Public text lives
here, copied from consented, verified sources and checked for private values; nothing public
is ever rendered from a case's personal fields."""

from ngo.campaigns.models.appeal import (
    AllocationRule,
    Appeal,
    AppealStatus,
    AppealTranslation,
    BudgetLine,
    BudgetLineLabel,
    CategorisedMixin,
    Category,
    OverfundingPolicy,
    PublicSiteVersion,
    new_public_slug,
)
from ngo.campaigns.models.updates import (
    AppealSearchDocument,
    AppealUpdate,
    ConcernReport,
    ConcernStatus,
    PublicImage,
    ReviewSnapshot,
    UpdateDelivery,
    UpdateState,
    UpdateSubscription,
)

__all__ = [
    "AllocationRule",
    "Appeal",
    "AppealSearchDocument",
    "AppealStatus",
    "AppealTranslation",
    "AppealUpdate",
    "BudgetLine",
    "BudgetLineLabel",
    "CategorisedMixin",
    "Category",
    "ConcernReport",
    "ConcernStatus",
    "OverfundingPolicy",
    "PublicImage",
    "PublicSiteVersion",
    "ReviewSnapshot",
    "UpdateDelivery",
    "UpdateState",
    "UpdateSubscription",
    "new_public_slug",
]

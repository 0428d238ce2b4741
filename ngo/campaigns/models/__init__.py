"""Appeals and their budgets, updates, concern reports and search documents. Public text lives
here, copied from consented, verified sources and checked for private values; nothing public
is ever rendered from a case's personal fields."""

from ngo.campaigns.models.appeal import (
    Appeal,
    AppealStatus,
    AppealTranslation,
    BudgetLine,
    BudgetLineLabel,
    Category,
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
    "Appeal",
    "AppealSearchDocument",
    "AppealStatus",
    "AppealTranslation",
    "AppealUpdate",
    "BudgetLine",
    "BudgetLineLabel",
    "Category",
    "ConcernReport",
    "ConcernStatus",
    "PublicImage",
    "PublicSiteVersion",
    "ReviewSnapshot",
    "UpdateDelivery",
    "UpdateState",
    "UpdateSubscription",
    "new_public_slug",
]

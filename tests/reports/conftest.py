"""The receipts tests use the donations tests' seed appeal, staff and `give`."""

from tests.donations.conftest import appeal, give, staff

__all__ = ["appeal", "give", "staff"]

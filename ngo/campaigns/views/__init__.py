"""The web pages of appeals, by audience: staff pages under /staff/appeals, the public site."""

from ngo.campaigns.views.staff import bp, highlight

__all__ = ["bp", "highlight"]

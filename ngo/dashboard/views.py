"""/dashboard, the first page after sign-in."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ngo.accounts.access import acting_membership, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action, may
from ngo.campaigns.summary import open_concern_count, overdue_news
from ngo.cases.listing import caseload_summary
from ngo.donations.summary import treasury_summary
from ngo.reports.funders.views import portal_bp

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@staff_required(Action.VIEW_DASHBOARD)
def home() -> str | Response:
    membership = acting_membership()
    if may(membership, Action.VIEW_FUNDER_PORTAL):
        # A funder's contact has no staff work: their home is the portal.
        return redirect(url_for(f"{portal_bp.name}.home"))
    organisation_id = membership.organisation_id
    sees_cases = may(membership, Action.VIEW_CASES)
    return render_template(
        "dashboard/home.html",
        membership=membership,
        caseload=caseload_summary(current_user, organisation_id) if sees_cases else None,
        overdue_appeals=overdue_news(organisation_id) if sees_cases else None,
        open_concerns=open_concern_count(organisation_id)
        if may(membership, Action.HANDLE_CONCERNS)
        else None,
        treasury=treasury_summary(organisation_id, current_user.id)
        if may(membership, Action.VIEW_DONATIONS)
        else None,
        confirm_form=ConfirmForm(),
    )

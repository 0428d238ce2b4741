"""/dashboard, the first page after sign-in."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ngo.accounts.access import acting_membership, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action, may
from ngo.accounts.work import work_needing_attention
from ngo.campaigns.summary import open_concern_count, overdue_news
from ngo.cases.listing import caseload_summary
from ngo.donations.summary import treasury_summary
from ngo.reports.funders.services import funder_of_user

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@staff_required(Action.VIEW_DASHBOARD)
def home() -> str:
    membership = acting_membership()
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
        work=work_needing_attention(membership) if may(membership, Action.MANAGE_WORK) else None,
        # A funder's contact has no staff work: their dashboard leads to the portal.
        funder=funder_of_user(current_user.id, organisation_id)
        if may(membership, Action.VIEW_FUNDER_PORTAL)
        else None,
        funder_portal=may(membership, Action.VIEW_FUNDER_PORTAL),
        confirm_form=ConfirmForm(),
    )

"""/dashboard, the first page after sign-in: one section per kind of work the acting
membership's role may do (an administrator's role covers casework, verification and money,
so they see each of those sections), every item a link to where the work is done.

Each section comes from a plain query function of its domain, scoped to the acting
organisation, with a fixed number of queries whatever the size of the caseload. The page
names people (cases, tasks), so showing it is recorded like the case list
(`cases.worklist.record_dashboard_view`), after it is rendered."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ngo.accounts.access import acting_membership, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action, may
from ngo.accounts.summary import admin_attention
from ngo.campaigns.summary import approval_work, open_concern_count, overdue_news
from ngo.cases import worklist
from ngo.cases.listing import caseload_summary
from ngo.donations.summary import treasury_summary
from ngo.reports.funders.services import funder_of_user
from ngo.unit_of_work import audited_read

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@staff_required(Action.VIEW_DASHBOARD)
def home() -> str:
    membership = acting_membership()
    organisation_id = membership.organisation_id
    sees_cases = may(membership, Action.VIEW_CASES)
    casework = (
        worklist.caseworker_work(current_user, organisation_id)
        if may(membership, Action.EDIT_CASE)
        else None
    )
    verification = (
        worklist.verifier_work(current_user, organisation_id)
        if may(membership, Action.VERIFY_STORY)
        else None
    )
    administration = admin_attention(membership) if may(membership, Action.MANAGE_USERS) else None
    # Consents running out on cases nobody is assigned to: whoever runs the organisation's
    # staff sees them (and may open the cases).
    unassigned_consents = (
        worklist.unassigned_expiring_consents(organisation_id)
        if administration is not None and may(membership, Action.MANAGE_CONSENT)
        else None
    )
    page = render_template(
        "dashboard/home.html",
        membership=membership,
        caseload=caseload_summary(current_user, organisation_id) if sees_cases else None,
        casework=casework,
        overdue_appeals=overdue_news(organisation_id) if casework else None,
        verification=verification,
        approvals=approval_work(current_user, organisation_id)
        if may(membership, Action.APPROVE_APPEAL)
        else None,
        open_concerns=open_concern_count(organisation_id)
        if may(membership, Action.HANDLE_CONCERNS)
        else None,
        treasury=treasury_summary(organisation_id, current_user.id)
        if may(membership, Action.VIEW_DONATIONS)
        else None,
        administration=administration,
        unassigned_consents=unassigned_consents,
        # A funder's contact has no staff work: their dashboard leads to the portal.
        funder=funder_of_user(current_user.id, organisation_id)
        if may(membership, Action.VIEW_FUNDER_PORTAL)
        else None,
        funder_portal=may(membership, Action.VIEW_FUNDER_PORTAL),
        confirm_form=ConfirmForm(),
    )
    shown = (
        (casework.case_ids() if casework else set())
        | (verification.case_ids() if verification else set())
        | (
            {item.case.beneficiary_id for item in unassigned_consents.items}
            if unassigned_consents
            else set()
        )
    )
    if shown:
        with audited_read():
            worklist.record_dashboard_view(
                shown, actor=current_user, organisation_id=organisation_id
            )
    return page

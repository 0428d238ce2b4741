"""An appeal's giving rules (allocation rule and over-funding policy): chosen on the staff
page before publication, part of the content the second person approves, and said in plain
words on the public page."""

from __future__ import annotations

import pytest

from ngo.campaigns import details, review, services
from ngo.campaigns.errors import AppealError
from ngo.campaigns.models import AllocationRule, OverfundingPolicy
from ngo.extensions import db
from tests.campaigns.conftest import publish
from tests.conftest import login


def test_the_rules_are_stored_and_the_editor_recorded(appeal, staff):
    details.set_allocation(appeal, rule="pro_rata", policy="stop", actor=staff["admin"])
    assert (appeal.allocation_rule, appeal.overfunding_policy) == ("pro_rata", "stop")
    assert staff["admin"].id in appeal.editor_ids


def test_the_rules_are_in_the_approved_content(appeal, staff):
    before = review.appeal_content(appeal)
    assert before["details"]["overfunding_policy"] == OverfundingPolicy.STRETCH.value
    details.set_allocation(appeal, rule="priority", policy="general_fund", actor=staff["admin"])
    after = review.appeal_content(appeal)
    assert review.digest_of(before) != review.digest_of(after)
    changes = review.compare(before, after)
    assert [c.label for c in changes] == ["Once the essential lines are funded"]
    assert "general fund" in changes[0].after


def test_a_change_while_in_review_sends_the_appeal_back_to_draft(appeal, staff):
    digest = services.submit_for_review(appeal, actor=staff["caseworker"])
    details.set_allocation(appeal, rule="pro_rata", policy="stretch", actor=staff["caseworker"])
    assert appeal.status == "draft"
    with pytest.raises(AppealError):
        services.approve_and_publish(appeal, approver=staff["admin"], digest=digest)


def test_unchanged_rules_are_no_edit(appeal, staff):
    details.set_allocation(appeal, rule="priority", policy="stretch", actor=staff["admin"])
    assert staff["admin"].id not in (appeal.editor_ids or [])


@pytest.mark.parametrize(
    ("rule", "policy", "field"),
    [("random", "stop", "allocation_rule"), ("priority", "forever", "overfunding_policy")],
)
def test_unknown_rules_are_refused(appeal, staff, rule, policy, field):
    with pytest.raises(AppealError) as refused:
        details.set_allocation(appeal, rule=rule, policy=policy, actor=staff["admin"])
    assert refused.value.field == field
    assert appeal.allocation_rule == AllocationRule.PRIORITY.value


def test_a_published_appeal_keeps_its_rules(appeal, staff):
    publish(appeal, staff)
    with pytest.raises(AppealError, match="published"):
        details.set_allocation(appeal, rule="pro_rata", policy="stop", actor=staff["admin"])


def test_the_staff_page_saves_the_rules(client, appeal, staff):
    login(client, staff["caseworker"])
    page = client.get(f"/staff/appeals/{appeal.slug}").get_data(as_text=True)
    assert "Giving rules" in page
    saved = client.post(
        f"/staff/appeals/{appeal.slug}/allocation",
        data={"allocation-allocation_rule": "pro_rata", "allocation-overfunding_policy": "stop"},
    )
    assert saved.status_code == 302
    db.session.refresh(appeal)
    assert (appeal.allocation_rule, appeal.overfunding_policy) == ("pro_rata", "stop")
    bad = client.post(
        f"/staff/appeals/{appeal.slug}/allocation",
        data={"allocation-allocation_rule": "lottery", "allocation-overfunding_policy": "stop"},
    )
    assert bad.status_code == 400
    assert "Not a valid choice" in bad.get_data(as_text=True)


def test_a_treasurer_may_not_change_the_rules(client, appeal, make_user):
    login(client, make_user("treasurer"))
    response = client.post(
        f"/staff/appeals/{appeal.slug}/allocation",
        data={"allocation-allocation_rule": "pro_rata", "allocation-overfunding_policy": "stop"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        ("stop", "Once the essential lines are funded this appeal stops accepting gifts."),
        ("stretch", "gifts go to the stretch lines"),
        ("general_fund", "further gifts go to the organisation&#39;s general fund"),
    ],
)
def test_the_public_page_says_which_policy_applies(client, appeal, staff, policy, words):
    details.set_allocation(appeal, rule="priority", policy=policy, actor=staff["caseworker"])
    publish(appeal, staff)
    page = client.get(f"/appeals/{appeal.slug}").get_data(as_text=True)
    assert words in page
    assert "funds the essential lines first, in order of priority" in page

"""The one four-eyes rule (accounts.policy.four_eyes_refusal) that story verification, document
checks and the approval of appeals and updates all ask."""

from __future__ import annotations

from ngo.accounts.policy import four_eyes_refusal

AUTHOR, SUBMITTER, EDITOR, OTHER = 1, 2, 3, 4


def _refusal(actor: int) -> str | None:
    return four_eyes_refusal(actor, authors=[AUTHOR], submitter=SUBMITTER, editors=[EDITOR])


def test_the_author_the_submitter_and_an_editor_are_refused_with_their_reason(app):
    assert _refusal(AUTHOR) == "You are its author: a second person has to approve it."
    assert _refusal(SUBMITTER) == "You sent it for review: a second person has to approve it."
    assert _refusal(EDITOR) == (
        "You changed it since it was last approved: a second person has to approve it."
    )
    assert _refusal(OTHER) is None
    # A plain string, translated when asked: services put it in their refusal as it is.
    assert type(_refusal(AUTHOR)) is str


def test_several_authors_and_former_staff(app):
    # A deleted account leaves None behind: it never matches anyone.
    assert four_eyes_refusal(OTHER, authors=[None, AUTHOR], editors=[None]) is None
    assert four_eyes_refusal(AUTHOR, authors=[None, AUTHOR]) is not None
    assert four_eyes_refusal(OTHER, authors=[], submitter=None) is None

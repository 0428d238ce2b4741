"""The publication safety check as the story tab needs it (ngo/cases/story_checks.py): the
same private values and scan as the publication gate, over a story's title and text."""

from __future__ import annotations

from collections.abc import Mapping

from ngo.campaigns import safety
from ngo.campaigns.views import highlight
from ngo.cases.consent import consented_items
from ngo.cases.models import Beneficiary, ConsentAudience
from ngo.cases.story_checks import StoryFinding


def check_story(beneficiary: Beneficiary, texts: Mapping[str, str]) -> list[StoryFinding]:
    """What the gate would find once the story is an appeal's public text: the values the
    person did not consent to publish on a public page."""
    consented = consented_items(beneficiary.id, ConsentAudience.PUBLIC_PAGE)
    private = safety.private_values_of(beneficiary, consented)
    return [
        StoryFinding(
            field=finding.field,
            kind=safety.describe(finding.kind),
            context=highlight(finding.context),
        )
        for finding in safety.scan_texts(dict(texts), private)
    ]

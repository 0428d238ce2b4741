"""The publication safety check while a story is written, not only when its appeal is
published: what it would find in the title and text, shown to the writer on preview and save.

The check itself belongs to campaigns (ngo/campaigns/safety), a higher domain, so campaigns
registers it here in its init_app (`register_story_checker`); without it the story tab says
nothing about safety rather than claiming the text is clean."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Flask, current_app
from markupsafe import Markup

from ngo.cases.models import Beneficiary


@dataclass(frozen=True)
class StoryFinding:
    """A private value found in the story: where ("title" or "body"), what kind of value
    (a label, never the value), and the surrounding text with the match marked. The context
    repeats the private value: it is for the writer's screen only."""

    field: str
    kind: str
    context: Markup


StoryChecker = Callable[[Beneficiary, Mapping[str, str]], list[StoryFinding]]

_EXTENSION = "story_checker"


def register_story_checker(app: Flask, checker: StoryChecker) -> None:
    app.extensions[_EXTENSION] = checker


def story_findings(case: Beneficiary, *, title: str, body: str) -> list[StoryFinding] | None:
    """What the publication check finds in this title and text, or None if no check is
    registered."""
    checker: StoryChecker | None = current_app.extensions.get(_EXTENSION)
    if checker is None:
        return None
    return checker(case, {"title": title, "body": body})

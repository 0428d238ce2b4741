"""Sections that higher domains add to the staff appeal page (reports: the accountability
report), each a function of the appeal returning its HTML (empty when the reader may not see
it). Outside `views` so that a higher domain registers one without importing campaigns' views:
campaigns knows no domain above it, so they come to it."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from markupsafe import Markup

from ngo.campaigns.models import Appeal

_PANELS = "ngo.campaigns.appeal_panels"
Panel = Callable[[Appeal], Markup]


def register_appeal_panel(app: Flask, panel: Panel) -> None:
    """Add a section to the staff appeal page, from a higher domain's init_app."""
    panels: list[Panel] = app.extensions.setdefault(_PANELS, [])
    if panel not in panels:
        panels.append(panel)


def appeal_panels(appeal: Appeal) -> list[Markup]:
    return [panel(appeal) for panel in current_app.extensions.get(_PANELS, [])]

"""The staff home: what each role has to do next, composed from the summary functions each
domain exposes (cases' caseload, campaigns' overdue news and open concerns). The top of the
import order: it may read every domain, and none reads it."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ngo.dashboard import navigation
    from ngo.dashboard.views import bp

    app.register_blueprint(bp)
    navigation.init_app(app)

"""The public read-only JSON API (/api/v1) and its OpenAPI document."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ngo.api.views import bp

    app.register_blueprint(bp)

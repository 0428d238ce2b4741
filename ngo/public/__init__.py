"""The public read side: the home page, the list of appeals with its filters and search, one
appeal's page, the forms readers send from it, and what machines read (sitemap, robots.txt,
the Atom feed). It reads campaigns' stored listing and public tables, never a case."""

from __future__ import annotations

from flask import Flask

from ngo import http_cache


def init_app(app: Flask) -> None:
    from ngo.campaigns.visibility import public_version
    from ngo.public.views import (  # noqa: F401  (feeds: routes)
        appeal_forms,
        appeals,
        feeds,
        home,
        organisations,
    )

    # A public page is stale once the public site's version moved or a listing ran out.
    http_cache.set_freshness(app, public_version)
    app.register_blueprint(home.bp)
    app.register_blueprint(appeals.bp)
    app.register_blueprint(appeal_forms.bp)
    app.register_blueprint(organisations.bp)

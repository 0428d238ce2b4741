"""Demo data for `make run`, written through the real services: the organisation and one user
per role (`seed`), its cases (`cases`) and its appeals (`appeals`, from `content/`). Nothing at
run time imports it; `flask --app ngo seed-demo` loads it."""

from __future__ import annotations

from flask import Flask

from ngo.demo.seed import (
    DEMO_DOMAIN,
    DEMO_ORGANISATION,
    DemoLogin,
    database_is_empty,
    demo_password,
    seed_demo,
)

__all__ = [
    "DEMO_DOMAIN",
    "DEMO_ORGANISATION",
    "DemoLogin",
    "database_is_empty",
    "demo_password",
    "init_app",
    "seed_demo",
]


def init_app(app: Flask) -> None:
    from ngo.demo import cli

    cli.register(app)

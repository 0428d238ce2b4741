"""The baseline of bench/public_pages.py: the least a Flask + SQLAlchemy + Jinja page can do.

It lists 20 rows of one table (the appeals the benchmark generated, newest first) through
Flask-SQLAlchemy and a Jinja template, with none of ngo's layout, translations, security
headers, rate limits or caching. Run by gunicorn as `baseline_app:app` from bench/.
"""

from __future__ import annotations

import os

from flask import Flask, render_template_string
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Row(Base):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(3))
    goal_minor: Mapped[int] = mapped_column(BigInteger)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Appeals</title></head>
<body><main><h1>Appeals</h1><ul>
{% for row in rows %}<li><a href="/appeals/{{ row.slug }}">{{ row.slug }}</a>
{{ row.goal_minor }} {{ row.currency }}</li>
{% endfor %}</ul></main></body></html>"""

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db.init_app(app)


@app.get("/")
def rows() -> str:
    page = db.session.scalars(select(Row).order_by(Row.id.desc()).limit(20)).all()
    return render_template_string(PAGE, rows=page)

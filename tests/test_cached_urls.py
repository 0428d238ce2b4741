"""Templates' links come from `ngo.urls.cached_url_for`: remembered, they must stay what
`url_for` builds, wherever the app is mounted."""

from __future__ import annotations

from flask import Flask, render_template_string, url_for

from ngo.urls import cached_url_for


def test_a_remembered_link_is_the_one_url_for_builds_under_each_mount_point(app: Flask) -> None:
    for root in ("", "/ngo", "/other"):
        with app.test_request_context("/", base_url=f"http://localhost{root}"):
            for _ in range(2):  # the second answer comes from what was remembered
                assert cached_url_for("static", filename="css/ngo.css") == url_for(
                    "static", filename="css/ngo.css"
                )
                assert cached_url_for("public.home") == url_for("public.home")
            assert cached_url_for("public.home").startswith(f"{root}/")


def test_links_with_values_are_built_each_time(app: Flask) -> None:
    with app.test_request_context("/"):
        first = cached_url_for("public_appeals.appeal", slug="aaa")
        second = cached_url_for("public_appeals.appeal", slug="bbb")
        assert (first, second) == ("/appeals/aaa", "/appeals/bbb")
        assert cached_url_for("public_appeals.appeal_list", page=2) == "/appeals?page=2"


def test_templates_build_their_links_through_it(app: Flask) -> None:
    with app.test_request_context("/", base_url="http://localhost/mounted"):
        rendered = render_template_string("{{ url_for('static', filename='css/ngo.css') }}")
    assert rendered == "/mounted/static/css/ngo.css"
    assert app.jinja_env.globals["url_for"] is cached_url_for

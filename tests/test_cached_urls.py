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


def test_a_link_with_one_verbatim_value_is_the_one_url_for_builds(app: Flask) -> None:
    cases = [
        ("public_appeals.appeal", {"slug": "aw330pbqbwk"}),
        ("public_appeals.appeal", {"slug": "another-one_2"}),
        ("public_appeals.media", {"token": "Tok3n"}),
        ("public_appeals.appeal_list", {"q": "bialystok"}),
        # Not verbatim: quoted by url_for itself, never pasted in as they are.
        ("public_appeals.appeal", {"slug": "a b/c?d"}),
        ("public_appeals.appeal_list", {"q": "Białystok & more"}),
        ("public_appeals.appeal_list", {"page": 2}),
        ("public_appeals.appeal", {"slug": "x", "_anchor": "update-1"}),
    ]
    for root in ("", "/mounted"):
        with app.test_request_context("/", base_url=f"http://localhost{root}"):
            for _ in range(2):
                for endpoint, values in cases:
                    assert cached_url_for(endpoint, **values) == url_for(endpoint, **values)


def test_a_converter_that_refuses_the_marker_builds_each_time(app: Flask) -> None:
    # /cases/<int:...>-style routes cannot be built with a word in place of the number.
    numeric = next(
        rule
        for rule in app.url_map.iter_rules()
        if "<int:" in rule.rule and len(rule.arguments) == 1 and "GET" in (rule.methods or ())
    )
    (name,) = numeric.arguments
    with app.test_request_context("/"):
        for _ in range(2):
            assert cached_url_for(numeric.endpoint, **{name: "12"}) == url_for(
                numeric.endpoint, **{name: "12"}
            )


def test_links_for_mails_are_the_ones_a_request_to_the_base_url_builds(app: Flask) -> None:
    # external_url keeps the URL adapter of that request per base URL: a new base URL (or a
    # mount point under it) must not get the links of the old one.
    from ngo.urls import external_url

    cases = [
        ("public_appeals.appeal", {"slug": "zażółć żółw", "q": "a b&c"}),
        ("receipts.donor_receipts", {"receipt_token": "eyJ.x-y_z"}),
        ("public.home", {}),
        ("public.home", {"_anchor": "top"}),
    ]
    with app.app_context():
        for base_url in ("http://ngo.test", "https://ngo.example/sub/", "http://ngo.test"):
            app.config["NGO_BASE_URL"] = base_url
            for endpoint, values in cases:
                with app.test_request_context("/", base_url=base_url):
                    expected = url_for(endpoint, _external=True, **values)
                assert external_url(endpoint, **values) == expected
            assert external_url("public.home").startswith(base_url.rstrip("/") + "/")

"""Public answers: ETag, Cache-Control, 304, and the per-worker page cache that a change of
public data (or a listing running out) makes stale at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import jsonify

from ngo.campaigns.models import PublicSiteVersion
from ngo.campaigns.visibility import public_version
from ngo.extensions import db
from ngo.http_cache import cacheable
from ngo.timeutil import utcnow
from tests.conftest import login

renders: list[str] = []
pytestmark = pytest.mark.fresh_app  # the probe route is added to the app


@pytest.fixture
def probe(app):
    """A public view that counts how often it really runs."""
    renders.clear()

    @cacheable()
    def public_probe():
        renders.append("x")
        return jsonify({"renders": len(renders)})

    app.add_url_rule("/probe", "public_probe", public_probe)
    return "/probe"


def test_second_anonymous_read_is_served_from_the_cache(client, probe):
    first = client.get(probe)
    second = client.get(probe)
    assert first.status_code == second.status_code == 200
    assert second.get_json() == {"renders": 1}
    assert len(renders) == 1
    assert second.headers["Cache-Control"] == "public, max-age=10"
    assert second.headers["ETag"] == first.headers["ETag"]
    assert "Set-Cookie" not in second.headers


def test_matching_if_none_match_gets_304(client, probe):
    etag = client.get(probe).headers["ETag"]
    again = client.get(probe, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_any_committed_change_to_public_data_makes_the_cache_stale(client, probe, organisation):
    client.get(probe)
    before = public_version()[0]
    organisation.name = "Renamed foundation"  # the name shows on every verification badge
    db.session.commit()
    assert public_version()[0] == before + 1
    assert client.get(probe).get_json() == {"renders": 2}


def test_a_rolled_back_change_does_not(client, probe, organisation):
    client.get(probe)
    before = public_version()[0]
    organisation.name = "Never saved"
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert public_version()[0] == before
    assert client.get(probe).get_json() == {"renders": 1}


def test_a_listing_that_runs_out_ends_the_cached_page(client, probe, organisation):
    organisation.name = "Bump"
    db.session.commit()
    row = db.session.get(PublicSiteVersion, 1)
    row.next_expiry = utcnow() + timedelta(milliseconds=1)
    db.session.commit()
    client.get(probe)
    assert client.get(probe).get_json() == {"renders": 2}  # the entry was already out of date


def test_a_kept_page_is_rendered_again_after_its_lifetime(client, probe, monkeypatch):
    """Money figures move without a version bump: they are at most PUBLIC_CACHE_SECONDS old."""
    from ngo import http_cache

    client.get(probe)
    assert client.get(probe).get_json() == {"renders": 1}
    later = utcnow() + timedelta(seconds=10)
    monkeypatch.setattr(http_cache, "utcnow", lambda: later)
    assert client.get(probe).get_json() == {"renders": 2}


def test_languages_are_cached_apart(client, probe):
    client.get(probe, headers={"Accept-Language": "pl"})
    client.get(probe, headers={"Accept-Language": "en"})
    client.get(probe, headers={"Accept-Language": "pl"})
    assert len(renders) == 2


def test_signed_in_staff_are_never_served_or_stored(client, probe, admin):
    login(client, admin)
    for _ in range(2):
        response = client.get(probe)
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "ETag" not in response.headers
    assert len(renders) == 2


@pytest.mark.parametrize("app_config", [{"PUBLIC_PAGE_CACHE_SIZE": 0}])
def test_the_cache_can_be_turned_off(client, probe):
    client.get(probe)
    client.get(probe)
    assert len(renders) == 2


@pytest.mark.parametrize("app_config", [{"PUBLIC_RATE_LIMIT": "2 per minute"}])
def test_readers_share_one_rate_limit(client, probe):
    assert [client.get(probe).status_code for _ in range(3)] == [200, 200, 429]


def test_the_page_cache_is_bounded_in_entries_and_bytes():
    from werkzeug.datastructures import Headers

    from ngo.http_cache import PageCache, _Rendered

    cache = PageCache(size=3, max_bytes=250)
    now = utcnow()
    for n in range(5):
        cache.put(("/p", str(n), "en"), _Rendered(b"x" * 100, Headers(), 1, None))
        assert len(cache) <= 3 and cache.stored_bytes <= 250
    assert cache.get(("/p", "4", "en"), 1, now) is not None  # the newest stay
    assert cache.get(("/p", "0", "en"), 1, now) is None
    assert cache.get(("/p", "4", "en"), 2, now) is None  # another version: dropped
    assert cache.stored_bytes == 100


def test_the_page_cache_keeps_the_most_recently_used_entries():
    from werkzeug.datastructures import Headers

    from ngo.http_cache import PageCache, _Rendered

    cache = PageCache(size=2, max_bytes=10_000)
    now = utcnow()

    def put(n: int, size: int = 10) -> None:
        cache.put(("/p", str(n), "en"), _Rendered(b"x" * size, Headers(), 1, None))

    put(1)
    put(2)
    assert cache.get(("/p", "1", "en"), 1, now) is not None  # 1 is now the most recent
    put(3)
    assert len(cache) == 2 and cache.stored_bytes == 20
    assert cache.get(("/p", "2", "en"), 1, now) is None
    assert cache.get(("/p", "1", "en"), 1, now) is not None
    put(1, size=30)  # replacing an entry counts its new size only
    assert len(cache) == 2 and cache.stored_bytes == 40
    put(4, size=20_000)  # larger than the whole cache: not kept, nothing else lost
    assert len(cache) == 2 and cache.get(("/p", "4", "en"), 1, now) is None

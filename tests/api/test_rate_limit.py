"""The API shares the public per-client rate limit; a client over it gets a JSON 429 that says
when to come back."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config():
    return {"PUBLIC_RATE_LIMIT": "3 per minute"}


def test_too_many_requests_answer_json_with_retry_after(get, client):
    for url in ["/api/v1/appeals", "/api/v1/openapi.json", "/api/v1/appeals/nosuchappeal"]:
        response, _ = get(url)
        assert response.status_code in (200, 404)
    for url in ["/api/v1/appeals", "/api/v1/appeals/nosuchappeal", "/api/v1/openapi.json"]:
        response, body = get(url)
        assert response.status_code == 429
        assert body["error"]["status"] == 429 and body["error"]["message"]
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    # Another client has its own budget.
    other = client.get("/api/v1/appeals", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200

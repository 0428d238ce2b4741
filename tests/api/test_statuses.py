"""The statuses the stack answers besides the operations' own: an over-long query (414) and an
over-large body (413) are refused by the app itself in JSON, as gunicorn would refuse them in
front of it; an unreachable database is a 503 to retry, an unexpected error a 500; each as the
document describes it."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from ngo import errors
from ngo.api import views
from ngo.api.schemas import MAX_QUERY_STRING
from tests.api.conftest import add_appeals

LIST = "/api/v1/appeals"


def test_an_overlong_query_is_a_json_414(get):
    padding = "q=" + "a" * (MAX_QUERY_STRING - 2)
    response, body = get(f"{LIST}?{padding}")
    assert response.status_code == 400  # at the limit: read, and refused for its value
    assert body["error"]["field"] == "q"
    for url in [f"{LIST}?{padding}a", f"{LIST}/nosuchappeal?lang=en&x={'a' * MAX_QUERY_STRING}"]:
        response, body = get(url)
        assert response.status_code == 414, url
        assert response.mimetype == "application/json"
        assert body["error"]["status"] == 414 and body["error"]["message"]
        assert "field" not in body["error"]
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_document_says_where_414_and_431_come_from(api_document):
    responses = api_document.document["components"]["responses"]
    assert set(responses["UriTooLong"]["content"]) == {"application/json", "text/html"}
    assert str(MAX_QUERY_STRING) in responses["UriTooLong"]["description"]
    assert set(responses["RequestHeaderFieldsTooLarge"]["content"]) == {"text/html"}
    for item in api_document.document["paths"].values():
        statuses = set(item["get"]["responses"])
        assert {"304", "400", "405", "413", "414", "429", "431", "500", "503"} <= statuses


def test_a_body_over_the_limit_is_a_json_413(app, get):
    too_large = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response, body = get(LIST, data=too_large, content_type="application/octet-stream")
    assert response.status_code == 413
    assert body["error"]["status"] == 413
    response, _ = get(LIST, data=b"x" * 100, content_type="application/octet-stream")
    assert response.status_code == 200  # a small body is not read, and not refused


def test_an_unreachable_database_is_a_503_to_retry(get, monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT ... WHERE q = ?", {"q": "Kavaliou"}, ConnectionError())

    monkeypatch.setattr(views.browse, "cursor_page", unreachable)
    response, body = get(f"{LIST}?q=kavaliou")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert body["error"]["status"] == 503 and body["error"]["message"]
    assert "Kavaliou" not in caplog.text and "kavaliou" not in caplog.text
    assert "ConnectionError" in caplog.text


def test_an_unexpected_error_is_the_documented_500(app, api_document):
    with app.test_request_context(LIST):
        response = errors.handle_unexpected(RuntimeError("private detail"))
    assert response.status_code == 500
    body = api_document.validate(response, LIST)
    assert "private detail" not in body["error"]["message"]


def test_words_the_search_cannot_index_find_nothing(get, template):
    """Letters of a script the search does not fold (here Chinese) are a search for words no
    appeal holds: an empty list, not a refusal (the document promises that any q with a letter
    or digit is answered). A q with no letter or digit is still refused."""
    add_appeals(template, 3)
    response, body = get(f"{LIST}?q=%E5%8C%97%E4%BA%AC")
    assert response.status_code == 200
    assert body == {"data": [], "next_cursor": None}
    response, body = get(f"{LIST}?q=%E5%8C%97%E4%BA%AC%20harbour")
    assert len(body["data"]) == 3  # the searchable word still counts
    response, body = get(f"{LIST}?q=%2B%2B%20--")
    assert response.status_code == 400 and body["error"]["field"] == "q"

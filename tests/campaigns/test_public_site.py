"""The public site: the list with its filters, search, sorting and pages; the appeal page;
caching, cookies and the rate limit; and a fixed number of SQL queries per page."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, insert, select

from ngo.accounts.models import User
from ngo.campaigns import search, services
from ngo.campaigns.models import (
    Appeal,
    AppealSearchDocument,
    AppealTranslation,
    AppealUpdate,
    BudgetLine,
    BudgetLineLabel,
    PublicImage,
    new_public_slug,
)
from ngo.cases import consent
from ngo.cases.models import Beneficiary, Consent, HouseholdMember
from ngo.extensions import db
from ngo.money import Money, format_money_short
from ngo.timeutil import utcnow
from tests import factories
from tests.campaigns.conftest import consent_to_photo, publish
from tests.conftest import login
from tests.helpers import counted_statements

POLISH_TITLE = "Pomoc dla rodziny byłego więźnia politycznego"


def png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def seed(appeal, staff):
    return publish_seed(appeal, staff)


def publish_seed(appeal: Appeal, staff: dict) -> Appeal:
    """The seed appeal, published through the real gate, with a Polish text, a cover photo,
    an update with a photo, and "€231 of €4,400" raised."""
    services.set_translation(
        appeal,
        "pl",
        title=POLISH_TITLE,
        summary="Czynsz, ubrania, jedzenie i kurs dla kierowcy.",
        story_markdown="Dzień dobry. Mam na imię Aleksander.",
        display_name="",
        actor=staff["caseworker"],
    )
    consent_to_photo(db.session.get(Beneficiary, appeal.beneficiary_id), staff["caseworker"])
    db.session.add(
        PublicImage(
            appeal_id=appeal.id,
            purpose="cover",
            content=png(),
            content_type="image/png",
            width=8,
            height=6,
            alt_text="A packed suitcase by a door",
            approved_at=utcnow(),  # approved with the appeal below
        )
    )
    publish(appeal, staff)
    photo = PublicImage(
        appeal_id=appeal.id,
        purpose="update",
        content=png("blue"),
        content_type="image/png",
        width=8,
        height=6,
        alt_text="School books on a table",
        approved_at=utcnow(),
    )
    db.session.add(
        AppealUpdate(
            appeal_id=appeal.id,
            language="en",
            title="The rent is paid for March",
            body_markdown="Thank you: the **first month** is paid.",
            image=photo,
            state="published",  # approved by a second person (tests/campaigns/test_updates.py)
            posted_at=utcnow() - timedelta(hours=1),
        )
    )
    appeal.raised_minor = 23_100
    appeal.last_update_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert appeal.listed
    return appeal


def cover_token(appeal: Appeal) -> str:
    return db.session.scalar(
        select(PublicImage.token).where(
            PublicImage.appeal_id == appeal.id, PublicImage.purpose == "cover"
        )
    )


def withdraw_story_consent(appeal: Appeal, actor: User) -> None:
    story_consent = db.session.scalars(
        select(Consent).where(
            Consent.beneficiary_id == appeal.beneficiary_id,
            Consent.item == "story",
            Consent.audience == "public_page",
        )
    ).one()
    consent.withdraw_consent(story_consent, actor=actor)
    db.session.commit()


# Generated appeals: public rows only, written directly as the bench does, for lists whose
# order and filters must be known exactly. The publication gate is tested elsewhere.


@pytest.fixture
def owner(organisation):
    person = factories.BeneficiaryFactory(organisation=organisation)
    # Committed before the rows written past the gate arrive: a commit in the same transaction
    # would recompute this new person's listings and take those appeals off the list.
    db.session.commit()
    return person


def add_appeal(
    owner,
    title: str,
    *,
    story: str = "",
    languages: tuple[str, ...] = ("en",),
    categories: str = "families",
    country: str | None = "PL",
    status: str = "published",
    deadline: date | None = None,
    days_ago: int = 1,
    raised: int = 0,
    goal: int = 100_000,
    lines: int = 3,
    updates: int = 0,
    listed: bool = True,
) -> str:
    published = utcnow() - timedelta(days=days_ago)
    slug = new_public_slug()
    appeal_id = db.session.execute(
        insert(Appeal).values(
            slug=slug,
            organisation_id=owner.organisation_id,
            beneficiary_id=owner.id,
            status=status,
            currency="EUR",
            fallback_language=languages[0],
            country=country,
            categories=categories,
            deadline=deadline,
            created_at=published,
            published_at=published,
            raised_minor=raised,
            goal_minor=goal,
            essential_minor=goal - goal // lines,
            listed=listed,
            last_update_at=published if updates else None,
        )
    ).inserted_primary_key[0]
    texts = []
    for language in languages:
        db.session.execute(
            insert(AppealTranslation).values(
                appeal_id=appeal_id,
                language=language,
                title=title,
                summary=f"Summary of {title}",
                story_markdown=story,
            )
        )
        texts += [title, story]
    for number in range(lines):
        line_id = db.session.execute(
            insert(BudgetLine).values(
                appeal_id=appeal_id,
                amount_minor=goal // lines + (goal % lines if number == 0 else 0),
                priority=number,
                essential=number < lines - 1,
            )
        ).inserted_primary_key[0]
        for language in languages:
            label = f"Rent part {number}"
            db.session.execute(
                insert(BudgetLineLabel).values(
                    budget_line_id=line_id, language=language, label=label
                )
            )
            texts.append(label)
    for number in range(updates):
        db.session.execute(
            insert(AppealUpdate).values(
                public_id=new_public_slug(),
                appeal_id=appeal_id,
                language=languages[0],
                title=f"News {number} of {title}",
                body_markdown="All is well.",
                state="published",
                editor_ids=[],
                posted_at=published + timedelta(minutes=number),
            )
        )
    if listed:
        db.session.execute(
            insert(AppealSearchDocument).values(
                appeal_id=appeal_id, document=search.document_for(texts)
            )
        )
    db.session.commit()
    return slug


def listed_slugs(page: str) -> list[str]:
    return re.findall(r'class="card-title" id="card-list-[^"]+"><a href="/appeals/([^"]+)"', page)


def get_text(client, path: str, status: int = 200, **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


# The list ---------------------------------------------------------------------------------


def test_list_shows_cards_with_progress_in_the_readers_locale(client, owner):
    add_appeal(owner, "Winter clothes", raised=23_100, goal=440_000, deadline=date(2030, 1, 31))
    page = get_text(client, "/appeals")
    assert "Winter clothes" in page and "Summary of Winter clothes" in page
    assert "€231 of €4,400" in page
    assert '<progress max="440000" value="23100"' in page
    assert "1 appeal" in page and "Poland" in page and "Families" in page
    polish = get_text(client, "/appeals", headers={"Accept-Language": "pl"})
    assert format_money_short(Money(440_000, "EUR"), "pl") in polish
    assert "Polska" in polish
    for name in ("q", "category", "country", "language", "status", "band", "sort"):
        assert f'<label for="filter-{name}">' in page and f'id="filter-{name}"' in page


def test_empty_list_says_so(client):
    assert "No appeals found" in get_text(client, "/appeals")
    assert "No appeal matches" in get_text(client, "/appeals?q=nothing")


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["b", "c", "a", "d"]),
        ("deadline", ["b", "a", "d", "c"]),
        ("closest", ["a", "c", "d", "b"]),
        ("least_funded", ["b", "d", "c", "a"]),
    ],
)
def test_every_sort_order(client, owner, sort, expected):
    today = date.today()
    slugs = {
        "a": add_appeal(owner, "A", days_ago=3, raised=90_000, deadline=today + timedelta(10)),
        "b": add_appeal(owner, "B", days_ago=1, raised=10_000, deadline=today + timedelta(5)),
        "c": add_appeal(owner, "C", days_ago=2, raised=60_000),
        "d": add_appeal(owner, "D", days_ago=4, raised=30_000, deadline=today + timedelta(20)),
    }
    page = get_text(client, f"/appeals?sort={sort}")
    assert listed_slugs(page) == [slugs[name] for name in expected]
    assert f'<option value="{sort}" selected>' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=legal", {"legal"}),
        ("category=families", {"plain", "legal"}),
        ("country=lt", {"vilnius"}),
        ("language=pl", {"polish"}),
        ("status=funded", {"funded"}),
        ("band=0-25", {"plain", "legal", "polish", "vilnius"}),
        ("band=50-75", {"half"}),
        ("band=funded", {"funded"}),
        ("category=families&band=0-25&country=PL", {"plain", "legal"}),
    ],
)
def test_every_filter(client, owner, query, expected):
    slugs = {
        "plain": add_appeal(owner, "Plain"),
        "legal": add_appeal(owner, "Legal", categories="families,legal"),
        "vilnius": add_appeal(owner, "Vilnius", categories="medical", country="LT"),
        "polish": add_appeal(owner, "Polish", categories="medical", languages=("en", "pl")),
        "half": add_appeal(owner, "Half", categories="medical", raised=60_000),
        "funded": add_appeal(
            owner, "Funded", categories="medical", status="funded", raised=100_000
        ),
    }
    page = get_text(client, f"/appeals?{query}")
    assert set(listed_slugs(page)) == {slugs[name] for name in expected}


def test_the_country_filter_offers_the_countries_of_listed_appeals_only(client, owner):
    for country in ("LT", "PL", "PL", "DE", "GE"):
        add_appeal(owner, f"In {country}", country=country)
    add_appeal(owner, "Unlisted", country="UA", listed=False)
    expired = add_appeal(owner, "Expired", country="FR")
    add_appeal(owner, "Nowhere", country=None)
    lapsing = add_appeal(owner, "Lapsing", country="AM")
    db.session.execute(
        Appeal.__table__.update()
        .where(Appeal.slug == expired)
        .values(listed_until=utcnow() - timedelta(minutes=1))
    )
    db.session.execute(
        Appeal.__table__.update()
        .where(Appeal.slug == lapsing)
        .values(listed_until=utcnow() + timedelta(days=1))
    )
    db.session.commit()
    page = get_text(client, "/appeals")
    select_box = page[page.index('id="filter-country"') : page.index('id="filter-language"')]
    offered = re.findall(r'<option value="([A-Z]{2})"', select_box)
    assert offered == ["AM", "GE", "DE", "LT", "PL"]  # by name: Armenia, Georgia, Germany...
    # A country asked for stays selectable even when no listed appeal is there.
    page = get_text(client, "/appeals?country=UA")
    select_box = page[page.index('id="filter-country"') : page.index('id="filter-language"')]
    assert '<option value="UA" selected>' in select_box


@pytest.mark.parametrize(
    ("query", "finds"),
    [
        ("Мінск", "latin"),
        ("Minsk", "cyrillic"),
        ("minsk", "latin"),
        ("bialystok", "polish"),
        ("Białystok", "polish"),
        ("BIAŁYSTOK", "polish"),
    ],
)
def test_search_folds_scripts_and_diacritics(client, owner, query, finds):
    slugs = {
        "latin": add_appeal(owner, "Rent after prison", story="He lived in Minsk."),
        "cyrillic": add_appeal(owner, "Кватэра", story="Жыў у Мінску.", languages=("be",)),
        "polish": add_appeal(owner, "Rent in Podlasie", story="Mieszka w Białymstoku, Białystok."),
        "other": add_appeal(owner, "School books", story="Gdańsk."),
    }
    found = listed_slugs(get_text(client, "/appeals", query_string={"q": query}))
    assert slugs[finds] in found
    assert slugs["other"] not in found


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "*",
        '"rent',
        "rent*",
        "rent OR school",
        "NEAR(rent school)",
        "'; DROP TABLE appeals; --",
        "rent AND NOT",
        "-",
        "%",
        "_",
        "\\",
        "rent:*",
        "()",
        "^rent",
        "{rent}",
        "rent\x00",
    ],
)
def test_search_syntax_is_never_an_error_of_ours(client, owner, query):
    add_appeal(owner, "Rent and school books")
    response = client.get("/appeals", query_string={"q": query})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        page = response.get_data(as_text=True)
        assert "Type at least one word or number" in page or "not allowed" in page
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("category=cats", "Unknown category."),
        ("country=XY", "Unknown country code"),
        ("country=Poland", "Unknown country code"),
        ("language=xx", "Unknown language."),
        ("status=draft", "Unknown status."),
        ("status=closed", "Unknown status."),
        ("band=10-20", "Unknown funding band."),
        ("sort=random", "Unknown sort order."),
        ("page=0", "Use a whole number from 1 to 1000."),
        ("page=-1", "Use a whole number from 1 to 1000."),
        ("page=99999999999", "Use a whole number from 1 to 1000."),
        ("page=1.5", "Use a whole number from 1 to 1000."),
        ("page=2", "There is no page 2 of this list."),
        ("q=" + "a" * 201, "This value is too long."),
        ("q=" + "a+" * 1001, "This address is too long."),
    ],
)
def test_bad_parameters_are_a_400_that_says_why(client, owner, query, message):
    add_appeal(owner, "Rent")
    page = get_text(client, f"/appeals?{query}", status=400)
    assert message in page
    if message == "This address is too long.":
        assert "<h1>Bad request</h1>" in page  # nothing of it was read
    else:  # the list without it (tests/public/test_friendly_refusals.py)
        assert "<h1>Appeals</h1>" in page and '<a href="/appeals">Show all appeals</a>' in page


def test_unknown_parameters_are_ignored(client, owner):
    slug = add_appeal(owner, "Rent")
    assert listed_slugs(get_text(client, "/appeals?utm_source=x&foo=bar")) == [slug]


def test_pages_keep_the_filters(client, owner):
    for number in range(23):
        add_appeal(owner, f"Rent {number}", days_ago=number + 1)
    first = get_text(client, "/appeals?category=families&sort=deadline")
    assert len(listed_slugs(first)) == 20
    assert "23 appeals" in first and "page 1 of 2" in first
    assert 'rel="next" href="/appeals?page=2&amp;category=families&amp;sort=deadline"' in first
    assert 'rel="prev"' not in first
    second = get_text(client, "/appeals?page=2&category=families&sort=deadline")
    assert len(listed_slugs(second)) == 3
    assert 'rel="prev" href="/appeals?page=1&amp;category=families&amp;sort=deadline"' in second
    assert not set(listed_slugs(first)) & set(listed_slugs(second))
    assert "There is no page 3" in get_text(client, "/appeals?page=3", status=400)


# The appeal page --------------------------------------------------------------------------


SEED_LABELS = [
    "Rent for three months and deposit",
    "Basic necessities, clothes and shoes for all in season",
    "Food, household expenses, school supplies",
    "Retraining and the code 95 exam",
]


def test_appeal_page_shows_the_budget_and_progress(client, seed):
    page = get_text(client, f"/appeals/{seed.slug}")
    assert page.count("<h1>") == 1
    assert "€231 of €4,400" in page
    assert '<progress max="440000" value="23100"' in page
    assert "Minimum needed (essential): €3,800 · Full goal: €4,400" in page
    positions = [page.index(label) for label in SEED_LABELS]
    assert positions == sorted(positions)  # essential lines first, the stretch line last
    stretch = page[page.index('class="budget-stretch"') :]
    assert SEED_LABELS[3] in stretch and 'class="tag tag-stretch">Stretch' in stretch
    assert "<caption>" in page and "<tfoot>" in page
    for amount in ("€2,100", "€1,000", "€700", "€600"):
        assert f'<td class="num" data-label="Amount">{amount}</td>' in page
    assert "Mogilev prison" in page  # the story, rendered from Markdown
    assert "The rent is paid for March" in page and "<strong>first month</strong>" in page
    assert f'href="/appeals/{seed.slug}/donate"' in page
    assert f'href="/appeals/{seed.slug}/follow"' in page
    assert f'href="/appeals/{seed.slug}/concern"' in page
    assert f'src="/media/{cover_token(seed)}" alt="A packed suitcase by a door"' in page


def test_the_page_reads_the_budget_lines_as_the_orm_orders_them(app, seed):
    """The appeal page and the API read budget lines as rows: the same lines, amounts and
    labels, in the relationships' order (priority, id; labels as written)."""
    from ngo.public.browse import public_appeal

    line = seed.budget_lines[-1]
    db.session.add(BudgetLineLabel(budget_line_id=line.id, language="be", label="Курс"))
    db.session.flush()
    db.session.expire_all()
    expected = [
        (
            line.id,
            line.amount_minor,
            line.funded_minor,
            line.spent_minor,
            line.essential,
            line.priority,
            [(label.language, label.label, label.description) for label in line.labels],
        )
        for line in db.session.get(Appeal, seed.id).budget_lines
    ]
    with app.test_request_context("/"):
        lines = public_appeal(seed.slug, "en").lines
    assert [
        (
            line.id,
            line.amount_minor,
            line.funded_minor,
            line.spent_minor,
            line.essential,
            line.priority,
            [(label.language, label.label, label.description) for label in line.labels],
        )
        for line in lines
    ] == expected
    assert len(expected) == 4 and len(expected[-1][-1]) >= 2


def test_appeal_page_in_polish(client, seed):
    raised = format_money_short(Money(23_100, "EUR"), "pl")
    goal = format_money_short(Money(440_000, "EUR"), "pl")
    assert raised.endswith("\xa0€") and goal.endswith("\xa0€")  # whatever else Babel does
    for headers, path in [
        ({"Accept-Language": "pl"}, f"/appeals/{seed.slug}"),
        ({}, f"/appeals/{seed.slug}?lang=pl"),
    ]:
        page = get_text(client, path, headers=headers)
        assert POLISH_TITLE in page
        assert 'lang="pl"' in page
        if headers:
            assert '<html lang="pl">' in page
            assert raised in page and goal in page and "€4,400" not in page
    # The English text, read on a Polish page, is marked as English.
    page = get_text(client, f"/appeals/{seed.slug}?lang=en", headers={"Accept-Language": "pl"})
    assert '<header class="appeal-header" lang="en">' in page
    # The language chosen with the site's switcher.
    client.post("/language", data={"language": "pl", "next": f"/appeals/{seed.slug}"})
    page = get_text(client, f"/appeals/{seed.slug}")
    assert '<html lang="pl">' in page and raised in page


def test_appeal_page_offers_its_other_languages(client, seed):
    page = get_text(client, f"/appeals/{seed.slug}")
    assert f'href="/appeals/{seed.slug}?lang=pl" hreflang="pl" lang="pl">Polski</a>' in page
    alternate = f"http://ngo.test/appeals/{seed.slug}?lang=pl"
    assert f'<link rel="alternate" hreflang="pl" href="{alternate}">' in page
    assert get_text(client, f"/appeals/{seed.slug}?lang=xx", status=400)


def test_badge_names_the_organisation_and_never_a_person(client, seed, staff, organisation):
    page = get_text(client, f"/appeals/{seed.slug}")
    assert f"Verified by {organisation.name} on " in page
    assert "Identity, Persecution, Current situation, Budget" in page
    for user in db.session.scalars(select(User)):
        assert user.display_name not in page
        assert user.email not in page


def test_no_private_value_of_the_case_reaches_the_page(client, seed, alexander):
    private = [
        alexander.legal_name,
        *alexander.legal_name.split(),
        alexander.date_of_birth_text,
        alexander.phone,
        alexander.email,
        alexander.messenger,
        alexander.city_of_residence,
        "Kavaliou",
        "1979",
    ]
    household = db.session.scalars(
        select(HouseholdMember).where(HouseholdMember.beneficiary_id == alexander.id)
    ).all()
    private += [member.first_name for member in household]
    assert len(household) == 2
    for path in (f"/appeals/{seed.slug}", "/appeals", "/", f"/appeals/{seed.slug}/donate"):
        for headers in ({}, {"Accept-Language": "pl"}, {"Accept-Language": "be"}):
            page = get_text(client, path, headers=headers)
            for value in private:
                assert value and value not in page, (path, value)


def test_a_withdrawn_consent_makes_the_page_gone(client, seed, staff):
    title = seed.translations[0].title
    assert title in get_text(client, "/appeals")
    withdraw_story_consent(seed, staff["caseworker"])
    page = get_text(client, f"/appeals/{seed.slug}", status=410)
    assert title not in page and POLISH_TITLE not in page and "Alexander" not in page
    assert "This page is no longer available." in page
    get_text(client, f"/appeals/{seed.slug}/donate", status=410)
    assert seed.slug not in get_text(client, "/appeals")
    assert seed.slug not in get_text(client, "/")


@pytest.mark.parametrize("slug", ["nosuchappeal", "x" * 30, "%C3%A9t%C3%A9"])
def test_unknown_appeal_is_a_404(client, slug):
    get_text(client, f"/appeals/{slug}", status=404)


def test_open_graph_and_canonical(client, seed):
    page = get_text(client, f"/appeals/{seed.slug}")
    url = f"http://ngo.test/appeals/{seed.slug}"
    assert f'<link rel="canonical" href="{url}">' in page
    assert f'<meta property="og:url" content="{url}">' in page
    assert '<meta property="og:type" content="article">' in page
    assert f'<meta property="og:title" content="{seed.translations[0].title}">' in page
    assert '<meta property="og:description" content="Good afternoon.' in page
    assert '<meta property="og:locale" content="en_US">' in page
    assert '<meta property="og:locale:alternate" content="pl_PL">' in page
    image = f"http://ngo.test/media/{cover_token(seed)}"
    assert f'<meta property="og:image" content="{image}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    # Links use the configured address, not the Host header of the request.
    page = get_text(client, f"/appeals/{seed.slug}", headers={"Host": "evil.example"})
    assert "evil.example" not in page


def test_donate_page_shows_the_form_and_the_progress(client, seed, organisation):
    page = get_text(client, f"/appeals/{seed.slug}/donate")
    assert 'name="amount"' in page and "Online giving opens soon." not in page
    assert "€231 of €4,400" in page


def test_home_shows_urgent_and_newest_appeals(client, owner):
    urgent = add_appeal(owner, "Urgent rent", deadline=date.today() + timedelta(days=3))
    newest = add_appeal(owner, "Newest rent", days_ago=0)
    page = get_text(client, "/")
    assert page.count("<h1>") == 1 and "How it works" in page
    urgent_part = page[page.index("Urgent appeals") : page.index("Newest appeals")]
    assert urgent in urgent_part and newest not in urgent_part
    assert newest in page[page.index("Newest appeals") :]
    assert 'href="/appeals"' in page


# Caching, cookies and the rate limit ------------------------------------------------------


def test_public_pages_set_no_cookie_and_hold_no_form_token(client, seed):
    for path in ("/", "/appeals", "/appeals?q=rent", f"/appeals/{seed.slug}"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, path
        assert "csrf_token" not in page
        assert 'method="post"' not in page
        assert response.headers["Cache-Control"] == "public, max-age=10"
        assert " style=" not in page
        # No inline script: only our own files (the appeal page's copy-link button).
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert all(re.fullmatch(r'<script src="/static/js/[\w-]+\.js" defer>', s) for s in scripts)


def test_etag_gives_304(client, seed):
    first = client.get(f"/appeals/{seed.slug}")
    etag = first.headers["ETag"]
    second = client.get(f"/appeals/{seed.slug}", headers={"If-None-Match": etag})
    assert second.status_code == 304 and second.get_data() == b""
    other = client.get(f"/appeals/{seed.slug}", headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200


def test_signed_in_staff_pages_are_private(client, seed, make_user):
    login(client, make_user("caseworker"))
    for path in ("/", "/appeals", f"/appeals/{seed.slug}"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "ETag" not in response.headers


def test_choosing_a_language_is_a_separate_uncached_page(client):
    page = get_text(client, "/appeals")
    assert 'href="/choose-language?next=/appeals">Change language</a>' in page
    response = client.get("/choose-language?next=/appeals?sort%3Ddeadline")
    assert response.headers["Cache-Control"] == "no-store"
    chooser = response.get_data(as_text=True)
    assert 'action="/choose-language"' in chooser and 'value="/appeals?sort=deadline"' in chooser
    assert 'value="/"' in get_text(client, "/choose-language?next=//evil.example")


@pytest.mark.parametrize("app_config", [{"PUBLIC_RATE_LIMIT": "3 per minute"}])
def test_rate_limit(client, app_config):
    assert [client.get("/appeals").status_code for _ in range(3)] == [200, 200, 200]
    assert client.get("/").status_code == 429  # one budget for every public page


# Queries ----------------------------------------------------------------------------------


def query_counts(client, paths: list[str]) -> dict[str, int]:
    counts = {}
    for path in paths:
        with counted_statements() as statements:
            assert client.get(path).status_code == 200, path
        counts[path] = len(statements)
    return counts


# Rendering, not the per-worker page cache (which answers a repeated page in one query).
@pytest.mark.parametrize("app_config", [{"PUBLIC_PAGE_CACHE_SIZE": 0}])
def test_pages_cost_the_same_queries_with_2_or_25_appeals(client, seed, owner, app_config):
    def more(count: int) -> None:
        for number in range(count):
            add_appeal(
                owner,
                f"Rent {number}",
                languages=("en", "pl", "be"),
                lines=4,
                updates=2,
                deadline=date.today() + timedelta(days=number + 1),
                raised=number * 1000,
            )

    more(1)
    paths = [
        "/",
        "/appeals",
        "/appeals?q=rent&sort=closest",
        f"/appeals/{seed.slug}",
        f"/appeals/{seed.slug}/donate",
        "/feeds/appeals.atom",
        "/sitemap.xml",
        f"/media/{cover_token(seed)}",
    ]
    query_counts(client, paths)  # warm up
    few = query_counts(client, paths)
    more(23)
    many = query_counts(client, paths)
    assert few == many
    print("queries per page:", few)


def test_a_cached_page_costs_one_query(client, seed):
    paths = ["/", "/appeals", f"/appeals/{seed.slug}", "/feeds/appeals.atom", "/sitemap.xml"]
    query_counts(client, paths)
    assert set(query_counts(client, paths).values()) == {1}


def test_the_demo_site_renders(client, sample_documents_once):
    from ngo.demo import seed_demo

    seed_demo()
    db.session.commit()
    listed = db.session.scalars(select(Appeal).where(Appeal.listed.is_(True))).all()
    assert len(listed) > 1
    for path in ("/", "/appeals", "/feeds/appeals.atom", "/sitemap.xml"):
        for language in ("en", "pl", "be", "ru", "uk"):
            get_text(client, path, headers={"Accept-Language": language})
    pages = [get_text(client, f"/appeals/{appeal.slug}") for appeal in listed]
    assert sum("€231 of €4,400" in page for page in pages) == 1
    assert all(page.count("<h1>") == 1 for page in pages)

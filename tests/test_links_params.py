"""SPEC section 2: each query parameter's meaning, and its message when invalid."""

from datetime import UTC, datetime

import pytest

URL = "/api/portfolios/{}/links/"


def at(*parts):
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def ids(api, portfolio):
    """GET the list with params and return the ids of the results, in order."""

    def ids(**params):
        response = api(URL.format(portfolio.id), **params)
        assert response.status_code == 200, response.json
        return [link["id"] for link in response.json["results"]]

    return ids


@pytest.fixture
def errors(api, portfolio):
    """GET the list with params, expect 400, and return the error body."""

    def errors(**params):
        response = api(URL.format(portfolio.id), **params)
        assert response.status_code == 400, response.json
        return response.json

    return errors


# limit and offset


def test_limit_defaults_to_10(ids, make_link, portfolio):
    for n in range(12):
        make_link(portfolio, name=f"n{n}")
    assert len(ids()) == 10


def test_limit_above_the_maximum_is_clamped(app, ids, make_link, portfolio, api):
    app.config["LINKS_MAX_LIMIT"] = 3
    for n in range(5):
        make_link(portfolio, name=f"n{n}")
    assert len(ids(limit="1000000000000000000000000")) == 3
    assert "limit=3" in api(URL.format(portfolio.id), limit="50").json["next"]


def test_the_args_schema_declares_the_configured_default_and_maximum(app):
    from portfolio_app.links.args import LinkListArgs

    app.config.update(LINKS_DEFAULT_LIMIT=4, LINKS_MAX_LIMIT=6)
    with app.app_context():
        assert LinkListArgs().load({})["limit"] == 4
        assert LinkListArgs().load({})["offset"] == 0
        assert LinkListArgs().load({"limit": "5"})["limit"] == 5
        assert LinkListArgs().load({"limit": "7"})["limit"] == 6
        app.config["LINKS_DEFAULT_LIMIT"] = 50  # a default above the maximum is the maximum
        assert LinkListArgs().load({})["limit"] == 6


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "1e1", " 1", "+1", "٣", "1_0"])
def test_bad_limit_is_400(errors, value):
    assert errors(limit=value) == {"limit": ["A valid integer of at least 1 is required."]}


@pytest.mark.parametrize("value", ["-1", "x", "0.0", "٠"])
def test_bad_offset_is_400(errors, value):
    assert errors(offset=value) == {"offset": ["A valid integer of at least 0 is required."]}


def test_offset_past_64_bits_is_400(errors):
    assert errors(offset=str(2**63)) == {"offset": ["Must be at most 9223372036854775807."]}


def test_offset_skips_rows(ids, make_link, portfolio):
    links = [make_link(portfolio, name=f"n{n}", order=n) for n in range(5)]
    assert ids(offset="2", limit="2") == [links[2].id, links[3].id]


def test_empty_values_mean_not_given(ids, make_link, portfolio):
    make_link(portfolio)
    assert len(ids(limit="", offset="", search="", has_image="", ordering="", id_min="")) == 1


def test_last_repeated_value_wins(api, make_link, portfolio, client, staff_key):
    for n in range(4):
        make_link(portfolio, name=f"n{n}")
    response = client.get(
        URL.format(portfolio.id) + "?limit=1&limit=3",
        headers={"Authorization": f"Token {staff_key}"},
    )
    assert len(response.json["results"]) == 3


def test_unknown_parameters_are_ignored(ids, make_link, portfolio):
    make_link(portfolio)
    assert len(ids(colour="blue", page="7")) == 1


# search


def test_search_matches_name_or_url_case_insensitively(ids, make_link, portfolio):
    by_name = make_link(portfolio, name="My GitHub", url="https://example.com/")
    by_url = make_link(portfolio, name="code", url="https://GITHUB.com/x")
    make_link(portfolio, name="other", url=None)
    assert sorted(ids(search="github")) == sorted([by_name.id, by_url.id])


def test_every_term_must_match(ids, make_link, portfolio):
    both = make_link(portfolio, name="github pages")
    make_link(portfolio, name="github")
    assert ids(search="github pages") == [both.id]
    assert ids(search="github,pages") == [both.id]


def test_quoted_phrase_is_one_term(ids, make_link, portfolio):
    phrase = make_link(portfolio, name="hello world")
    make_link(portfolio, name="world, hello")
    assert ids(search='"hello world"') == [phrase.id]
    assert len(ids(search="hello world")) == 2


def test_digits_match_the_id_exactly_not_as_a_substring(ids, make_link, portfolio):
    links = [make_link(portfolio, name=f"link {'x' * n}") for n in range(12)]
    target = links[0]
    assert ids(search=str(target.id)) == [target.id]
    assert ids(search="۱") == ids(search="1")  # Persian digits are digits


def test_digits_also_match_inside_names_and_urls(ids, make_link, portfolio):
    named = make_link(portfolio, name="route 987654")
    in_url = make_link(portfolio, name="x", url="https://example.com/987654")
    make_link(portfolio, name="route 98765")
    assert sorted(ids(search="987654")) == sorted([named.id, in_url.id])


@pytest.mark.parametrize("term", ["%", "_", "\\", "50%", "a_b"])
def test_like_wildcards_are_literal(ids, make_link, portfolio, term):
    literal = make_link(portfolio, name=f"x{term}y")
    make_link(portfolio, name="plain name")
    assert ids(search=term) == [literal.id]


def test_search_nul_is_400(errors):
    assert errors(search="git\x00hub") == {"search": ["Null characters are not allowed."]}


@pytest.mark.parametrize(
    ("stored", "term"),
    [
        ("كيك", "کیک"),  # Arabic kaf and yeh find Persian ones
        ("کیک", "كيك"),  # and the other way round
        ("علی", "على"),  # alef maksura
        ("سال ۱۴۰۲", "1402"),  # Persian digits
        ("سال ١٤٠٢", "۱۴۰۲"),  # Arabic-Indic digits
        ("کـــتاب", "کتاب"),  # tatweel
        ("می‌خواهم", "می خواهم"),  # ZWNJ matches a space
        ("ÉCOLE", "école"),
        ("Straße", "STRASSE"),
        ("ﻙﺘﺎﺏ", "کتاب"),  # presentation forms, by NFKC
    ],
)
def test_search_normalisation(ids, make_link, portfolio, stored, term):
    link = make_link(portfolio, name=stored)
    make_link(portfolio, name="unrelated")
    assert ids(search=f'"{term}"') == [link.id]


def test_zwnj_is_kept_in_stored_data(api, make_link, portfolio):
    make_link(portfolio, name="می‌خواهم")
    assert api(URL.format(portfolio.id)).json["results"][0]["name"] == "می‌خواهم"


# ordering


def test_default_ordering_is_order_then_newest_then_id(ids, make_link, portfolio):
    same = at(2024, 1, 1)
    a = make_link(portfolio, order=1, created_at=at(2024, 1, 2))
    b = make_link(portfolio, order=0, created_at=at(2024, 1, 1))
    c = make_link(portfolio, order=0, created_at=at(2024, 1, 3))
    d = make_link(portfolio, order=1, created_at=same)
    e = make_link(portfolio, order=1, created_at=same)
    assert ids() == [c.id, b.id, a.id, e.id, d.id]


def test_ordering_by_name_uses_persian_alphabet_and_id_ties(ids, make_link, portfolio):
    names = ["ژاله", "پرستو", "بهار", "آرش", "GitHub", "github", "Zeta", "alpha"]
    links = {name: make_link(portfolio, name=name) for name in names}
    expected = ["alpha", "GitHub", "github", "Zeta", "آرش", "بهار", "پرستو", "ژاله"]
    assert ids(ordering="name") == [links[name].id for name in expected]
    reverse = ["ژاله", "پرستو", "بهار", "آرش", "Zeta", "github", "GitHub", "alpha"]
    assert ids(ordering="-name") == [links[name].id for name in reverse]


def test_ordering_by_name_ignores_surrounding_and_repeated_whitespace(ids, make_link, portfolio):
    # SPEC 2: whitespace runs are one space and none is left at either end, so leading
    # spaces do not sort a name first, and "a  b" sorts as "a b".
    names = ["  Zebra", "apple", "\tmango", "a  b", "a c", "\u00a0kiwi"]
    links = {name: make_link(portfolio, name=name) for name in names}
    expected = ["a  b", "a c", "apple", "\u00a0kiwi", "\tmango", "  Zebra"]
    assert ids(ordering="name") == [links[name].id for name in expected]


@pytest.mark.parametrize(
    ("ordering", "by_id"),
    [("name,-name", "ascending"), ("-name,name", "descending"), ("-name,id,name", "ascending")],
)
def test_a_field_named_twice_counts_once_and_id_follows_the_last_that_counts(
    ids, make_link, portfolio, ordering, by_id
):
    same = [make_link(portfolio, name="same").id for _ in range(3)]
    assert ids(ordering=ordering) == sorted(same, reverse=by_id == "descending")


@pytest.mark.parametrize("field", ["created_at", "updated_at"])
def test_ordering_by_timestamp_both_ways_with_id_tiebreak(ids, make_link, portfolio, field):
    t1, t2 = at(2024, 1, 1), at(2024, 2, 1)
    a = make_link(portfolio, **{"created_at": t1, "updated_at": t1})
    b = make_link(portfolio, **{"created_at": t2, "updated_at": t2})
    c = make_link(portfolio, **{"created_at": t1, "updated_at": t1})
    assert ids(ordering=field) == [a.id, c.id, b.id]
    assert ids(ordering=f"-{field}") == [b.id, c.id, a.id]


def test_ordering_by_id_and_several_keys(ids, make_link, portfolio):
    links = [make_link(portfolio, name=name) for name in ("b", "a", "b")]
    assert ids(ordering="-id") == [link.id for link in reversed(links)]
    assert ids(ordering="name,-id") == [links[1].id, links[2].id, links[0].id]
    assert ids(ordering=" name , ,id") == [links[1].id, links[0].id, links[2].id]


@pytest.mark.parametrize(
    ("value", "bad"),
    [("order", "order"), ("colour", "colour"), ("-url", "url"), ("name,bogus", "bogus")],
)
def test_unknown_ordering_field_is_400(errors, value, bad):
    assert errors(ordering=value) == {
        "ordering": [f"Unknown field '{bad}'. Choose from: id, name, created_at, updated_at."]
    }


# id_min and id_max


def test_id_bounds_are_inclusive(ids, make_link, portfolio):
    links = [make_link(portfolio, order=n) for n in range(5)]
    assert ids(id_min=str(links[1].id), id_max=str(links[3].id)) == [link.id for link in links[1:4]]


@pytest.mark.parametrize("value", ["1.5", "1e1", "x", "٣"])
def test_bad_id_bound_is_400(errors, value):
    assert errors(id_min=value, id_max=value) == {
        "id_min": ["A valid integer is required."],
        "id_max": ["A valid integer is required."],
    }


def test_id_min_above_id_max_is_400(errors):
    assert errors(id_min="5", id_max="4") == {"id_min": ["Must not be greater than id_max."]}


# dates


def test_created_date_is_the_whole_utc_day(ids, make_link, portfolio):
    first = make_link(portfolio, created_at=at(2024, 1, 15, 0, 0, 0, 0), order=1)
    last = make_link(portfolio, created_at=at(2024, 1, 15, 23, 59, 59, 999999), order=2)
    make_link(portfolio, created_at=at(2024, 1, 14, 23, 59, 59, 999999))
    make_link(portfolio, created_at=at(2024, 1, 16))
    assert ids(created_date="2024-01-15") == [first.id, last.id]


def test_updated_date_filters_updated_at(ids, make_link, portfolio):
    hit = make_link(portfolio, created_at=at(2020, 1, 1), updated_at=at(2024, 1, 15, 12))
    make_link(portfolio, created_at=at(2024, 1, 15, 12), updated_at=at(2024, 1, 16))
    assert ids(updated_date="2024-01-15") == [hit.id]


@pytest.mark.parametrize(
    "value", ["08/15/2024", "2024-1-5", "2024-02-30", "2024-01-15T10:00", "yesterday", "٢٠٢٤-٠١-١٥"]
)
def test_bad_date_is_400(errors, value):
    assert errors(created_date=value) == {"created_date": ["Enter a valid date."]}


def test_to_date_includes_the_whole_day(ids, make_link, portfolio):
    last = make_link(portfolio, created_at=at(2024, 1, 15, 23, 59, 59, 999999))
    make_link(portfolio, created_at=at(2024, 1, 16))
    assert ids(created_to="2024-01-15") == [last.id]


def test_from_and_to_datetimes_are_inclusive(ids, make_link, portfolio):
    a = make_link(portfolio, created_at=at(2024, 1, 15, 10), order=1)
    b = make_link(portfolio, created_at=at(2024, 1, 15, 11), order=2)
    make_link(portfolio, created_at=at(2024, 1, 15, 11, 0, 0, 1))
    assert ids(created_from="2024-01-15T10:00:00Z", created_to="2024-01-15T11:00:00") == [
        a.id,
        b.id,
    ]


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-15T12:00:00+02:00",
        "2024-01-15T12:00 02:00",
        "2024-01-15 07:00-03:00",
        "2024-01-15T10:00:00.000000Z",
        "2024-01-15T10:00Z",
        "2024-01-15T11:30:00+0130",
    ],
)
def test_offsets_are_converted_to_utc(ids, make_link, portfolio, value):
    at_ten = make_link(portfolio, created_at=at(2024, 1, 15, 10))
    make_link(portfolio, created_at=at(2024, 1, 15, 9, 59, 59, 999999))
    assert ids(created_from=value) == [at_ten.id]


@pytest.mark.parametrize(
    "value",
    [
        "2024-13-01",
        "2024-01-15T25:00",
        "2024-01-15T10:00+25:00",
        "0001-01-01T00:00+01:00",
        "2024-01-15T10:00:00.1234567",
        "x",
    ],
)
def test_bad_date_or_datetime_is_400(errors, value):
    assert errors(updated_to=value) == {"updated_to": ["Enter a valid date or date/time."]}


@pytest.mark.parametrize("prefix", ["created", "updated"])
def test_from_later_than_to_is_400(errors, prefix):
    assert errors(**{f"{prefix}_from": "2024-01-16", f"{prefix}_to": "2024-01-15"}) == {
        f"{prefix}_from": [f"Must not be later than {prefix}_to."]
    }


def test_from_equal_to_to_is_allowed(ids, make_link, portfolio):
    hit = make_link(portfolio, created_at=at(2024, 1, 15, 10))
    assert ids(created_from="2024-01-15T10:00", created_to="2024-01-15T10:00") == [hit.id]


def test_last_day_of_the_calendar_does_not_overflow(ids, make_link, portfolio):
    make_link(portfolio, created_at=at(2024, 1, 15))
    assert ids(created_to="9999-12-31", created_date="9999-12-31") == []
    assert len(ids(created_to="9999-12-31T23:59:59.999999Z")) == 1


# booleans


@pytest.mark.parametrize("true", ["true", "TRUE", "1", "yes", "On"])
@pytest.mark.parametrize("false", ["false", "False", "0", "NO", "off"])
def test_boolean_spellings(ids, make_image, make_link, portfolio, true, false):
    with_image = make_link(portfolio, image_id=make_image().id)
    without = make_link(portfolio)
    assert ids(has_image=true) == [with_image.id]
    assert ids(has_image=false) == [without.id]


@pytest.mark.parametrize("value", ["maybe", "t", "y", "2", "truee", " true"])
def test_bad_boolean_is_400(errors, value):
    assert errors(has_url=value) == {"has_url": ["Must be a boolean: true or false."]}


@pytest.mark.parametrize("field", ["description", "url"])
def test_blank_counts_as_missing(ids, make_link, portfolio, field):
    filled = make_link(portfolio, **{field: "https://x.example/" if field == "url" else "text"})
    missing = [make_link(portfolio, **{field: value}) for value in (None, "", "  \t\n ")]
    assert ids(**{f"has_{field}": "true"}) == [filled.id]
    assert sorted(ids(**{f"has_{field}": "false"})) == sorted(link.id for link in missing)


@pytest.mark.parametrize("search", ['"', "'", '"""', '""'])
def test_a_lone_quote_is_an_empty_phrase_matching_everything_as_drf(
    ids, make_link, portfolio, search
):
    links = [make_link(portfolio, name=name, order=n) for n, name in enumerate(['say "hi"', "x"])]
    assert ids(search=search) == [link.id for link in links]


def test_the_number_of_search_terms_is_configured(app, api, portfolio):
    app.config["LINKS_MAX_SEARCH_TERMS"] = 3
    assert api(URL.format(portfolio.id), search="a b c").status_code == 200
    response = api(URL.format(portfolio.id), search="a b c d")
    assert response.status_code == 400
    assert response.json == {"search": ["At most 3 search terms are allowed."]}


@pytest.mark.parametrize(
    ("search", "terms"),
    [
        ('"\\\\"', ["\\"]),  # an escaped backslash inside a phrase is one backslash
        ('"say \\"hi\\""', ['say "hi"']),  # an escaped quote inside a phrase is a quote
        ("a\\\\b", ["a\\\\b"]),  # outside quotes a backslash is an ordinary character
    ],
)
def test_backslash_escapes_inside_phrases_follow_drfs_smart_split(search, terms):
    from portfolio_app.links.fields import split_search

    assert split_search(search) == terms

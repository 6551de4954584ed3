"""Property-based tests: random datasets and random queries, against the pure-Python model."""

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio_app.extensions import db
from portfolio_app.models import Image, Link, Portfolio, Thumbnail

from . import reference as model
from .test_links_model import BASE, check_query

# Letters the rules treat specially, so small datasets still exercise every rule.
LETTERS = "aAbB1۱٣ _%\\\"'کكیيـ\u200cاآ"
TIMES = [
    datetime(2024, 1, 15, 0, 0, 0, 0, UTC),
    datetime(2024, 1, 15, 23, 59, 59, 999999, UTC),
    datetime(2024, 1, 16, 0, 0, 0, 0, UTC),
    datetime(2024, 3, 1, 12, 30, tzinfo=UTC),
]
PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

names = st.text(alphabet=LETTERS, min_size=1, max_size=8).filter(str.strip)
links = st.lists(
    st.fixed_dictionaries(
        {
            "name": names,
            "url": st.sampled_from([None, "", "https://github.com/a_b", "https://x.example/%41"]),
            "description": st.sampled_from([None, "", "  ", "text"]),
            "order": st.integers(-1, 2),
            "created_at": st.sampled_from(TIMES),
            "updated_at": st.sampled_from(TIMES),
            "with_image": st.booleans(),
        }
    ),
    max_size=25,
)
# The model splits only simple phrases (see reference.split_search); quotes and backslash
# escapes inside terms are DRF's smart_split's business, pinned by the tests of
# test_links_params instead.
TERM_LETTERS = LETTERS.replace('"', "").replace("'", "").replace("\\", "")
terms = st.text(alphabet=TERM_LETTERS, min_size=1, max_size=4)
fields = st.sampled_from(model.ORDERING_FIELDS)
moments = st.sampled_from(
    [
        "2024-01-15",
        "2024-01-15T23:59:59.999999Z",
        "2024-01-16T00:00Z",
        "2024-01-15T12:00:00+03:30",
        "2024-03-01",
    ]
)
flags = st.sampled_from(["true", "false", "1", "0", "YES", "off"])
queries = st.fixed_dictionaries(
    {},
    optional={
        "search": st.lists(terms, min_size=1, max_size=3).map(" ".join),
        "ordering": st.lists(st.tuples(st.booleans(), fields), min_size=1, max_size=3).map(
            lambda keys: ",".join(("-" if desc else "") + name for desc, name in keys)
        ),
        "has_image": flags,
        "has_url": flags,
        "has_description": flags,
        "id_min": st.integers(0, 30).map(str),
        "id_max": st.integers(0, 30).map(str),
        "created_date": st.sampled_from(["2024-01-15", "2024-01-16"]),
        "created_from": moments,
        "updated_to": moments,
        "limit": st.integers(1, 8).map(str),
        "offset": st.integers(0, 30).map(str),
    },
)


def replace_links(app, dataset):
    """Empty the tables and store dataset in one portfolio; return (portfolio id, model rows)."""
    with app.app_context():
        for table in (Link, Thumbnail, Image, Portfolio):
            db.session.execute(db.delete(table))
        portfolio = Portfolio(name="P")
        image = Image(name="i.png", file="i.png", size=1, width=1, height=1, mode="RGB")
        db.session.add_all([portfolio, image])
        db.session.flush()
        stored = [
            Link(
                portfolio_id=portfolio.id,
                image_id=image.id if data["with_image"] else None,
                **{k: v for k, v in data.items() if k != "with_image"},
            )
            for data in dataset
        ]
        db.session.add_all(stored)
        db.session.commit()
        rows = [
            model.Row(
                id=link.id,
                name=link.name,
                url=link.url,
                description=link.description,
                order=link.order,
                created_at=link.created_at,
                updated_at=link.updated_at,
                image_id=link.image_id,
            )
            for link in stored
        ]
        return portfolio.id, rows


# Each letter and the spellings search must treat as the same.
VARIANTS = {
    "ک": "كک",
    "ك": "کك",
    "ی": "يیى",
    "ي": "یي",
    "1": "1۱١",
    "۱": "1۱",
    "a": "aA",
    "A": "aA",
    "\u200c": "\u200c ",
}


@st.composite
def terms_from(draw, dataset):
    """A piece of a stored name, respelled with variants that must still find it."""
    name = draw(st.sampled_from([link["name"] for link in dataset]))
    start = draw(st.integers(0, len(name) - 1))
    piece = name[start : start + draw(st.integers(1, 4))]
    respelled = "".join(draw(st.sampled_from(VARIANTS.get(c, c))) for c in piece)
    return "".join(c for c in respelled if c in TERM_LETTERS) or "a"


@settings(PROPERTY_SETTINGS, max_examples=120)
@given(dataset=links.filter(bool), params=queries, data=st.data())
def test_any_query_on_any_dataset_matches_the_model(app, client, staff_key, dataset, params, data):
    if data.draw(st.booleans()):
        params = {**params, "search": f'"{data.draw(terms_from(dataset))}"'}
    portfolio_id, rows = replace_links(app, dataset)
    check_query(client, staff_key, portfolio_id, rows, params)


@PROPERTY_SETTINGS
@given(
    dataset=links,
    ordering=st.sampled_from(["", "name", "-name", "created_at", "-updated_at", "id", "-id,name"]),
    limit=st.integers(1, 4),
)
def test_walking_next_visits_every_row_once_in_order(
    app, client, staff_key, dataset, ordering, limit
):
    portfolio_id, rows = replace_links(app, dataset)
    query, errors = model.parse({"ordering": ordering})
    assert not errors
    expected = [row.id for row in model.ordered(rows, query.ordering)]
    url = (
        BASE.format(portfolio_id)
        + f"?limit={limit}"
        + (f"&ordering={ordering}" if ordering else "")
    )
    seen = []
    while url:
        body = client.get(url, headers={"Authorization": f"Token {staff_key}"}).get_json()
        seen += [link["id"] for link in body["results"]]
        url = body["next"]
        assert len(seen) <= len(rows)  # a loop would repeat rows forever
    assert seen == expected

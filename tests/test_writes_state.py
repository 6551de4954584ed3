"""Hypothesis state machine: random creates, updates, moves and deletes through the API,
the list always agreeing with the reference model (tests/reference.py) and SPEC 8's moves.
"""

from datetime import datetime

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from portfolio_app.extensions import db
from portfolio_app.models import Link, Portfolio

from . import reference
from .test_writes_move import moved
from .writes import Writer

# Letters the search and name ordering treat specially: case, Persian yeh/kaf forms, ZWNJ.
NAMES = st.text(alphabet="abAB gی يكک\u200c1۱", min_size=1, max_size=8).filter(str.strip)
URLS = st.one_of(
    st.none(), st.just(""), st.sampled_from(["https://a.example/", "http://b.example/x"])
)
DESCRIPTIONS = st.one_of(st.none(), st.just(""), st.just("  "), st.just("text"))
ORDERS = st.sampled_from([0, 0, 1, -1, 2**31 - 1, -(2**31)])
QUERIES = st.fixed_dictionaries(
    {},
    optional={
        "search": st.sampled_from(["a", "b", "ی", "ک", "1", "a b", "g"]),
        "has_url": st.sampled_from(["true", "false"]),
        "has_description": st.sampled_from(["true", "false"]),
        "ordering": st.sampled_from(["name", "-name", "id", "-updated_at", "created_at"]),
    },
)


def timestamp(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class LinksMachine(RuleBasedStateMachine):
    """The portfolio's links as the model holds them, and the same through the API."""

    def __init__(self, app, client, key, make_portfolio):
        super().__init__()
        self.app = app
        self.writer = Writer(client, key, make_portfolio("machine").id)
        self.rows = {}  # id -> reference.Row
        self.sequence = []  # ids in the default ordering, as SPEC 8's moves leave them

    # -------------------------------------------------------------- model helpers

    def remember(self, link, order):
        self.rows[link["id"]] = reference.Row(
            id=link["id"],
            name=link["name"],
            url=link["url"],
            description=link["description"],
            order=order,
            created_at=timestamp(link["created_at"]),
            updated_at=timestamp(link["updated_at"]),
            image_id=None,
        )

    def stored_orders(self):
        # Moves renumber freely; where a created or re-ordered link lands depends on the
        # values, so they are read back (the relative order they give is checked below).
        with self.app.app_context():
            orders = dict(
                db.session.execute(
                    sa.select(Link.id, Link.order).where(
                        Link.portfolio_id == self.writer.portfolio_id
                    )
                ).all()
            )
            db.session.remove()
        return orders

    def reorder_by_values(self):
        orders = self.stored_orders()
        for link_id, order in orders.items():
            self.rows[link_id] = _with(self.rows[link_id], order=order)
        self.sequence = [row.id for row in reference.ordered(self.rows.values(), ())]

    # -------------------------------------------------------------- rules

    @rule(name=NAMES, url=URLS, description=DESCRIPTIONS, order=ORDERS)
    def create(self, name, url, description, order):
        response = self.writer.create(
            {"name": name, "url": url, "description": description, "order": order}
        )
        assert response.status_code == 201, response.json
        link = response.json
        assert link["name"] == name.strip()
        self.remember(link, order)
        before = list(self.sequence)
        self.reorder_by_values()
        assert [i for i in self.sequence if i != link["id"]] == before

    @precondition(lambda self: self.rows)
    @rule(data=st.data(), name=NAMES, url=URLS, description=DESCRIPTIONS)
    def patch(self, data, name, url, description):
        link_id = data.draw(st.sampled_from(sorted(self.rows)))
        body = data.draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "name": st.just(name),
                    "url": st.just(url),
                    "description": st.just(description),
                },
            )
        )
        response = self.writer.patch(link_id, body)
        assert response.status_code == 200, response.json
        row = self.rows[link_id]
        expected = {
            "name": body.get("name", row.name).strip(),
            "url": body["url"].strip() if body.get("url") else body.get("url", row.url),
            "description": (
                body["description"].strip()
                if body.get("description")
                else body.get("description", row.description)
            ),
        }
        for field, value in expected.items():
            assert response.json[field] == value, (field, response.json)
        assert timestamp(response.json["updated_at"]) >= row.updated_at
        self.remember(response.json, row.order)

    @precondition(lambda self: self.rows)
    @rule(data=st.data(), order=ORDERS)
    def patch_order(self, data, order):
        link_id = data.draw(st.sampled_from(sorted(self.rows)))
        response = self.writer.patch(link_id, {"order": order})
        assert response.status_code == 200
        self.remember(response.json, order)
        self.reorder_by_values()

    @precondition(lambda self: self.rows)
    @rule(data=st.data())
    def move(self, data):
        link_id = data.draw(st.sampled_from(sorted(self.rows)))
        others = [i for i in self.sequence if i != link_id]
        choices = [("to", "first"), ("to", "last")]
        choices += [(place, other) for other in others for place in ("before", "after")]
        place, anchor = data.draw(st.sampled_from(choices))
        response = self.writer.move(link_id, {place: anchor})
        assert response.status_code == 200, response.json
        self.sequence = moved(self.sequence, link_id, place, anchor)
        self.remember(response.json, self.rows[link_id].order)
        orders = self.stored_orders()
        for other_id, value in orders.items():
            self.rows[other_id] = _with(self.rows[other_id], order=value)

    @precondition(lambda self: self.rows)
    @rule(data=st.data())
    def delete(self, data):
        link_id = data.draw(st.sampled_from(sorted(self.rows)))
        assert self.writer.delete(link_id).status_code == 204
        del self.rows[link_id]
        self.sequence.remove(link_id)
        assert self.writer.get(link_id).status_code == 404

    # -------------------------------------------------------------- invariants

    @invariant()
    def the_default_list_is_the_models_sequence(self):
        assert self.writer.listed() == self.sequence

    @invariant()
    def the_kept_count_is_exact(self):
        with self.app.app_context():
            kept = db.session.get(Portfolio, self.writer.portfolio_id).link_count
            db.session.remove()
        assert kept == len(self.rows)

    @rule(params=QUERIES)
    def filtered_lists_agree_with_the_reference(self, params):
        query, errors = reference.parse(params)
        assert not errors
        count, rows = reference.select(self.rows.values(), query)
        response = self.writer.client.get(
            self.writer.list_path(),
            query_string={**params, "limit": "100"},
            headers=self.writer.headers(),
        )
        assert response.status_code == 200
        assert response.json["count"] == count
        assert [link["id"] for link in response.json["results"]] == [row.id for row in rows]


def _with(row, **changes):
    return reference.Row(**{**row.__dict__, **changes})


def test_random_writes_agree_with_the_model(app, client, staff_key, make_portfolio):
    run_state_machine_as_test(
        lambda: LinksMachine(app, client, staff_key, make_portfolio),
        settings=settings(
            max_examples=12,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )

"""Staff pages: delete with confirmation, delete selected rows, move up and down."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.staff_support import LIST, STAFF, audit_actions, flashes, links_of, post, text_of

pytest_plugins = ["tests.staff_fixtures"]  # staff, browser
T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def five(portfolio, make_link):
    """Five links, shown a, b, c, d, e in the default ordering (newest first)."""
    links = [
        make_link(portfolio, name=name, created_at=T0 - timedelta(days=i))
        for i, name in enumerate("abcde")
    ]
    return {link.name: link for link in links}


def names(app, portfolio):
    return "".join(name for _, name in links_of(app, portfolio))


# Delete one


def test_delete_asks_first_and_changes_nothing_until_confirmed(app, browser, portfolio, five):
    back = LIST.format(portfolio.id) + "?offset=2&limit=2"
    page = browser.get(
        STAFF.format(portfolio.id) + f"{five['c'].id}/delete", query_string={"next": back}
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Delete this link?" in html and ">c</strong>" in html
    assert 'method="post"' in html and 'name="csrf_token"' in html
    assert f'href="{back.replace("&", "&amp;")}"' in html  # Cancel goes back to the list
    assert names(app, portfolio) == "abcde"


def test_delete_removes_the_link_into_the_audit_log_and_goes_back(app, browser, portfolio, five):
    back = LIST.format(portfolio.id) + "?offset=2&limit=2"
    response = post(browser, STAFF.format(portfolio.id) + f"{five['c'].id}/delete", {"next": back})
    assert response.status_code == 303 and response.headers["Location"] == back
    assert names(app, portfolio) == "abde"
    assert audit_actions(app, five["c"].id) == [("delete", "staff")]
    assert flashes(browser, back) == ["Deleted “c”."]


def test_deleting_twice_says_it_was_already_deleted(app, browser, portfolio, five):
    url = STAFF.format(portfolio.id) + f"{five['c'].id}/delete"
    post(browser, url)
    response = post(browser, url)
    assert response.status_code == 303
    assert flashes(browser, response.headers["Location"]) == [
        "Deleted “c”.",
        "That link was already deleted.",
    ]
    assert browser.get(url).status_code == 404


def test_a_long_name_is_shortened_in_the_message(app, browser, portfolio, make_link):
    link = make_link(portfolio, name="x" * 1000)
    response = post(browser, STAFF.format(portfolio.id) + f"{link.id}/delete")
    (message,) = flashes(browser, response.headers["Location"])
    assert len(message) < 100 and message.endswith("…”.")


# Delete selected


def test_delete_selected_lists_them_and_deletes_on_confirmation(app, browser, portfolio, five):
    back = LIST.format(portfolio.id) + "?search=a"
    ids = [str(five[name].id) for name in "bd"]
    page = browser.get(
        STAFF.format(portfolio.id) + "delete", query_string={"ids": ids, "next": back}
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Delete the selected links (2)?" in html
    assert sorted(re.findall(r'name="ids" value="(\d+)"', html)) == sorted(ids)
    assert names(app, portfolio) == "abcde"
    response = post(browser, STAFF.format(portfolio.id) + "delete", {"ids": ids, "next": back})
    assert response.status_code == 303 and response.headers["Location"] == back
    assert names(app, portfolio) == "ace"
    assert flashes(browser, back) == ["Links deleted: 2."]
    assert [a for a, _ in audit_actions(app)] == ["delete", "delete"]


def test_delete_selected_without_a_selection_goes_back_with_a_message(browser, portfolio, five):
    back = LIST.format(portfolio.id) + "?limit=2"
    response = browser.get(STAFF.format(portfolio.id) + "delete", query_string={"next": back})
    assert response.status_code == 303 and response.headers["Location"] == back
    assert flashes(browser, back) == ["Select the links to delete first."]


def test_delete_selected_never_touches_another_portfolio(
    app, browser, portfolio, five, make_portfolio, make_link
):
    other_portfolio = make_portfolio("other")
    theirs = make_link(other_portfolio, name="theirs")
    ids = [str(theirs.id), str(five["a"].id)]
    page = browser.get(STAFF.format(portfolio.id) + "delete", query_string={"ids": ids})
    assert "theirs" not in page.get_data(as_text=True)
    response = post(browser, STAFF.format(portfolio.id) + "delete", {"ids": ids})
    assert response.status_code == 303
    assert names(app, portfolio) == "bcde"
    assert links_of(app, other_portfolio) == [(theirs.id, "theirs")]
    assert flashes(browser, response.headers["Location"]) == [
        "Links deleted: 1.",
        "Some of the selected links no longer existed.",
    ]


@pytest.mark.parametrize("ids", [["abc"], ["1", "-2"], ["9" * 30], ["1.5"], ["١"]])
def test_delete_selected_refuses_what_is_not_an_id(app, browser, portfolio, five, ids):
    response = post(browser, STAFF.format(portfolio.id) + "delete", {"ids": ids})
    assert response.status_code == 400
    assert "not a list of link IDs" in text_of(response)
    assert names(app, portfolio) == "abcde"


def test_delete_selected_has_a_limit(app, browser, portfolio):
    ids = [str(n) for n in range(1, 1002)]
    response = browser.get(STAFF.format(portfolio.id) + "delete", query_string={"ids": ids})
    assert response.status_code == 400


# Move


def move(browser, portfolio, link, direction, back=None):
    data = {"direction": direction}
    if back:
        data["next"] = back
    return post(browser, STAFF.format(portfolio.id) + f"{link.id}/move", data)


def test_move_up_and_down(app, browser, portfolio, five):
    back = LIST.format(portfolio.id) + "?limit=2&offset=2"
    response = move(browser, portfolio, five["c"], "up", back)
    assert response.status_code == 303 and response.headers["Location"] == back
    assert names(app, portfolio) == "acbde"
    assert flashes(browser, back) == ["Moved “c” up."]
    move(browser, portfolio, five["a"], "down")
    assert names(app, portfolio) == "cabde"
    assert [a for a, _ in audit_actions(app)] == ["move", "move"]


def test_move_past_either_end_says_so_and_changes_nothing(app, browser, portfolio, five):
    response = move(browser, portfolio, five["a"], "up")
    assert flashes(browser, response.headers["Location"]) == ["“a” is already first."]
    response = move(browser, portfolio, five["e"], "down")
    assert flashes(browser, response.headers["Location"]) == ["“e” is already last."]
    assert names(app, portfolio) == "abcde"
    assert audit_actions(app) == []


def test_move_steps_over_the_neighbour_shown_under_the_same_filters(
    app, browser, portfolio, make_link
):
    # Only b and d match "keep": moving d up puts it before b, past the hidden c.
    for i, name in enumerate("abcde"):
        make_link(
            portfolio,
            name=name + (" keep" if name in "bd" else ""),
            created_at=T0 - timedelta(days=i),
        )
    (d_id,) = [link_id for link_id, name in links_of(app, portfolio) if name == "d keep"]
    back = LIST.format(portfolio.id) + "?search=keep"
    post(browser, STAFF.format(portfolio.id) + f"{d_id}/move", {"direction": "up", "next": back})
    assert "".join(n[0] for _, n in links_of(app, portfolio)) == "adbce"


def test_move_with_invalid_filters_in_the_return_url_moves_among_all(app, browser, portfolio, five):
    back = LIST.format(portfolio.id) + "?id_min=abc"
    response = move(browser, portfolio, five["b"], "up", back)
    assert response.headers["Location"] == back
    assert names(app, portfolio) == "bacde"


@pytest.mark.parametrize("direction", ["", "sideways", "UP", None])
def test_move_needs_a_direction(app, browser, portfolio, five, direction):
    data = {} if direction is None else {"direction": direction}
    response = post(browser, STAFF.format(portfolio.id) + f"{five['b'].id}/move", data)
    assert response.status_code == 400
    assert names(app, portfolio) == "abcde"


def test_move_of_a_deleted_link_says_so(app, browser, portfolio, five):
    post(browser, STAFF.format(portfolio.id) + f"{five['b'].id}/delete")
    response = move(browser, portfolio, five["b"], "up")
    assert response.status_code == 303
    assert "That link no longer exists" in flashes(browser, response.headers["Location"])[-1]


def test_move_is_post_only(browser, portfolio, five):
    assert browser.get(STAFF.format(portfolio.id) + f"{five['b'].id}/move").status_code == 405


# The list page's controls


def test_list_rows_carry_edit_delete_move_and_select(browser, portfolio, five):
    back = LIST.format(portfolio.id) + "?limit=2&offset=2"
    html = browser.get(back, headers={"Accept": "text/html"}).get_data(as_text=True)
    escaped = back.replace("&", "&amp;")
    assert f"/staff/portfolios/{portfolio.id}/links/{five['c'].id}/edit?next=" in html
    assert html.count('name="direction" value="up"') == 2
    assert html.count('form="bulk-delete"') == 2
    assert f'<input type="hidden" name="next" value="{escaped}">' in html
    assert f"/staff/portfolios/{portfolio.id}/links/new?next=" in html


def test_first_and_last_rows_cannot_move_past_the_ends(browser, portfolio, five):
    html = browser.get(LIST.format(portfolio.id), headers={"Accept": "text/html"}).get_data(
        as_text=True
    )
    buttons = re.findall(r'value="(up|down)" class="button-small"( disabled)?', html)
    assert buttons[0] == ("up", " disabled") and buttons[1] == ("down", "")
    assert buttons[-1] == ("down", " disabled") and buttons[-2] == ("up", "")


def test_move_buttons_only_in_the_default_ordering(browser, portfolio, five):
    html = browser.get(
        LIST.format(portfolio.id) + "?ordering=name", headers={"Accept": "text/html"}
    ).get_data(as_text=True)
    assert 'name="direction"' not in html
    assert "/edit?next=" in html  # the rest stays

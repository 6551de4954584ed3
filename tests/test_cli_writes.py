"""The command line's writes: links update/move/delete/restore, portfolios delete, audit, media."""

import json
import os
import time
from pathlib import Path

import pytest

from portfolio_app.extensions import db
from portfolio_app.models import AuditEntry, Image, Link, Portfolio
from tests.images import write_jpeg, write_png_rgba
from tests.test_cli import assert_fails, invoke

URL = "/api/portfolios/{}/links/"


def listed(api, portfolio):
    """Return the names of the portfolio's links in the default ordering."""
    return [link["name"] for link in api(URL.format(portfolio.id), limit=100).json["results"]]


def audit_lines(runner, *args):
    result = invoke(runner, "audit", "list", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def stored_files(app):
    return sorted(p for p in Path(app.config["MEDIA_ROOT"]).rglob("*") if p.is_file())


def test_update_changes_only_the_options_given_and_is_audited(
    app, runner, api, portfolio, make_link
):
    link = make_link(portfolio, name="old", url="https://old.example/", description="kept")
    result = invoke(runner, "links", "update", link.id, "--name", "  new  ", "--order", "5")
    assert (result.exit_code, result.stdout) == (0, "")
    body = api(URL.format(portfolio.id) + f"{link.id}/").json
    assert (body["name"], body["url"], body["description"]) == (
        "new",
        "https://old.example/",
        "kept",
    )
    (entry,) = audit_lines(runner, "--link", link.id)
    assert (entry["action"], entry["user_id"], entry["username"]) == (
        "update",
        None,
        "command line",
    )
    assert (entry["before"]["name"], entry["after"]["name"]) == ("old", "new")
    assert (entry["before"]["order"], entry["after"]["order"]) == (0, 5)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--url", "javascript:alert(1)"), "--url: Enter a valid URL."),
        (("--name", "   "), "--name: This field may not be blank."),
        (("--order", "2147483648"), "--order: Ensure this value is less than or equal to"),
        (("--order", "1.5"), "--order: A valid integer is required."),
    ],
)
def test_update_refuses_what_the_api_refuses(app, runner, portfolio, make_link, options, message):
    link = make_link(portfolio, name="same")
    assert_fails(invoke(runner, "links", "update", link.id, *options), message)
    with app.app_context():
        assert db.session.get(Link, link.id).name == "same"
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)) == 0


def test_update_sets_and_removes_an_image(app, runner, api, portfolio, make_link, tmp_path):
    link = make_link(portfolio)
    path = write_png_rgba(tmp_path / "logo.png")
    assert invoke(runner, "links", "update", link.id, "--image", path).exit_code == 0
    image_data = api(URL.format(portfolio.id) + f"{link.id}/").json["image_data"]
    assert (image_data["name"], len(image_data["thumbnails"])) == ("logo.png", 4)
    assert invoke(runner, "links", "update", link.id, "--remove-image").exit_code == 0
    assert api(URL.format(portfolio.id) + f"{link.id}/").json["image_data"] is None
    # The image stays: the audit log still shows it.
    assert len(stored_files(app)) == 5


def test_update_refuses_a_file_that_is_not_an_image(app, runner, portfolio, make_link, tmp_path):
    link = make_link(portfolio)
    path = tmp_path / "notes.jpg"
    path.write_text("not a picture")
    assert_fails(
        invoke(runner, "links", "update", link.id, "--image", path), "--image: Upload a valid"
    )
    assert stored_files(app) == []


def test_update_of_an_unknown_link_fails(runner):
    assert_fails(invoke(runner, "links", "update", 999, "--name", "x"), "No link with id 999.")
    assert_fails(invoke(runner, "links", "update", 2**63, "--name", "x"), exit_code=2)


def test_move_puts_a_link_where_asked(runner, api, portfolio, make_link, at):
    a, b, c = (
        make_link(portfolio, name=name, created_at=at.utc(2024, 1, day))
        for name, day in (("a", 3), ("b", 2), ("c", 1))
    )
    assert listed(api, portfolio) == ["a", "b", "c"]
    assert invoke(runner, "links", "move", c.id, "--first").exit_code == 0
    assert listed(api, portfolio) == ["c", "a", "b"]
    assert invoke(runner, "links", "move", c.id, "--after", a.id).exit_code == 0
    assert listed(api, portfolio) == ["a", "c", "b"]
    assert invoke(runner, "links", "move", a.id, "--before", b.id).exit_code == 0
    assert listed(api, portfolio) == ["c", "a", "b"]
    assert invoke(runner, "links", "move", c.id, "--last").exit_code == 0
    assert listed(api, portfolio) == ["a", "b", "c"]
    assert [entry["action"] for entry in audit_lines(runner)] == ["move"] * 4


def test_move_refuses_bad_places(runner, portfolio, make_portfolio, make_link):
    link = make_link(portfolio)
    elsewhere = make_link(make_portfolio("other"))
    assert_fails(invoke(runner, "links", "move", link.id), "exactly one", exit_code=2)
    assert_fails(invoke(runner, "links", "move", link.id, "--first", "--last"), exit_code=2)
    assert_fails(invoke(runner, "links", "move", link.id, "--before", link.id), exit_code=2)
    result = invoke(runner, "links", "move", link.id, "--after", elsewhere.id)
    assert_fails(result, f"no link {elsewhere.id} in this portfolio", exit_code=2)


def test_delete_then_restore_brings_the_link_back_under_a_new_id(
    app, runner, api, portfolio, make_link, at, tmp_path
):
    created = at.utc(2023, 5, 6, 7, 8, 9, 123456)
    link = make_link(portfolio, name="gone", url="https://g.example/", order=7, created_at=created)
    assert (
        invoke(
            runner, "links", "update", link.id, "--image", write_jpeg(tmp_path / "a.jpg")
        ).exit_code
        == 0
    )
    deleted = invoke(runner, "links", "delete", link.id)
    assert (deleted.exit_code, deleted.stdout) == (0, "")
    assert api(URL.format(portfolio.id)).json["count"] == 0
    entry = audit_lines(runner, "--limit", "1")[0]
    assert entry["action"] == "delete" and entry["after"] is None
    assert f"flask links restore {entry['id']}" in deleted.stderr
    restored = invoke(runner, "links", "restore", entry["id"])
    new_id = int(restored.stdout)
    assert new_id > link.id
    body = api(URL.format(portfolio.id) + f"{new_id}/").json
    assert (body["name"], body["url"], body["created_at"]) == (
        "gone", "https://g.example/", "2023-05-06T07:08:09.123456Z",
    )  # fmt: skip
    assert body["image_data"]["id"] == entry["before"]["image_data"]["id"]
    assert body["updated_at"] > entry["before"]["updated_at"]
    with app.app_context():
        assert db.session.get(Link, new_id).order == 7
    assert audit_lines(runner, "--limit", "1")[0]["action"] == "restore"


def test_restore_refuses_an_entry_that_is_not_a_deletion(runner, portfolio, make_link):
    link = make_link(portfolio)
    invoke(runner, "links", "update", link.id, "--name", "x")
    entry = audit_lines(runner)[0]
    assert_fails(invoke(runner, "links", "restore", entry["id"]), "is not the deletion of a link")
    assert_fails(invoke(runner, "links", "restore", 12345), "No audit entry 12345: there never")


def test_portfolios_delete_keeps_every_link_in_the_audit_log(app, runner, portfolio, make_link):
    ids = [make_link(portfolio, name=f"n{i}").id for i in range(5)]
    result = invoke(runner, "portfolios", "delete", portfolio.id, "--yes")
    assert (result.exit_code, result.stdout) == (0, "")
    with app.app_context():
        assert db.session.get(Portfolio, portfolio.id) is None
        assert db.session.scalar(db.select(db.func.count()).select_from(Link)) == 0
    entries = audit_lines(runner, "--portfolio", portfolio.id)
    assert sorted(entry["link_id"] for entry in entries) == ids
    assert {entry["action"] for entry in entries} == {"delete"}
    restore = invoke(runner, "links", "restore", entries[0]["id"])
    assert_fails(restore, f"Portfolio {portfolio.id} no longer exists")


def test_portfolios_delete_asks_first(app, runner, portfolio, make_link):
    make_link(portfolio)
    result = invoke(runner, "portfolios", "delete", portfolio.id, input="n\n")
    assert result.exit_code == 1
    with app.app_context():
        assert db.session.get(Portfolio, portfolio.id) is not None


def test_audit_list_filters_and_limits(runner, portfolio, make_portfolio, make_link):
    other = make_portfolio("other")
    first, second = make_link(portfolio), make_link(other)
    invoke(runner, "links", "update", first.id, "--name", "one")
    invoke(runner, "links", "update", second.id, "--name", "two")
    invoke(runner, "links", "update", first.id, "--name", "three")
    assert [e["after"]["name"] for e in audit_lines(runner)] == ["three", "two", "one"]
    assert [e["after"]["name"] for e in audit_lines(runner, "--portfolio", portfolio.id)] == [
        "three",
        "one",
    ]
    assert [e["after"]["name"] for e in audit_lines(runner, "--link", second.id)] == ["two"]
    assert len(audit_lines(runner, "--limit", "1")) == 1
    entry = audit_lines(runner, "--limit", "1")[0]
    assert list(entry) == [
        "id", "at", "user_id", "username", "action", "portfolio_id", "link_id", "before", "after",
    ]  # fmt: skip
    assert list(entry["after"]) == [
        "id", "name", "url", "image_data", "description", "created_at", "updated_at", "order",
    ]  # fmt: skip


def _age(app, paths, seconds):
    for path in paths:
        stamp = time.time() - seconds
        os.utime(Path(app.config["MEDIA_ROOT"]) / path, (stamp, stamp))


def test_media_prune_removes_only_what_nothing_refers_to(
    app, runner, portfolio, make_link, tmp_path
):
    link = make_link(portfolio)
    invoke(runner, "links", "update", link.id, "--image", write_jpeg(tmp_path / "shown.jpg"))
    root = Path(app.config["MEDIA_ROOT"])
    with app.app_context():
        # An image no link and no entry shows (as a crash after storing would leave).
        from portfolio_app.media import ingest_image

        orphan = ingest_image(write_jpeg(tmp_path / "orphan.jpg"))
        db.session.commit()
        orphan_files = [orphan.file, *(t.file for t in orphan.thumbnails)]
        orphan_id = orphan.id
    stray = root / "core_media" / "stray.jpg"
    stray.write_bytes(b"x")
    young = root / "core_media" / "young.jpg"
    young.write_bytes(b"x")
    _age(app, ["core_media/stray.jpg"], 7200)
    # Nothing is old enough yet but the stray file.
    result = invoke(runner, "media", "prune", "--dry-run")
    assert result.stdout.splitlines() == ["core_media/stray.jpg"]
    assert stray.exists()
    result = invoke(runner, "media", "prune", "--grace", "0")
    assert sorted(result.stdout.splitlines()) == sorted(
        [*orphan_files, "core_media/stray.jpg", "core_media/young.jpg"]
    )
    assert "Removed 1 images" in result.stderr
    assert not stray.exists() and not young.exists()
    assert not any((root / path).exists() for path in orphan_files)
    with app.app_context():
        assert db.session.get(Image, orphan_id) is None
        shown = db.session.get(Link, link.id).image
        assert (root / shown.file).exists()
    # Replaced, the old image is still shown by the audit log: it stays.
    invoke(runner, "links", "update", link.id, "--remove-image")
    assert invoke(runner, "media", "prune", "--grace", "0").stdout == ""

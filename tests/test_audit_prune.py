"""`flask audit prune`: old audit entries let go, and with them the images only they kept."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from portfolio_app.extensions import db
from portfolio_app.models import AuditEntry, Image, utcnow
from tests.images import write_jpeg
from tests.test_cli import assert_fails, invoke


def entry_ids(app):
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


def age(app, days, ids):
    """Make the entries ids look recorded days ago."""
    with app.app_context():
        db.session.execute(
            update(AuditEntry)
            .where(AuditEntry.id.in_(ids))
            .values(at=utcnow() - timedelta(days=days))
        )
        db.session.commit()


def image_files(app, image_id):
    """Return the paths (under the media root) of an image's original and thumbnails."""
    with app.app_context():
        image = db.session.get(Image, image_id)
        return [image.file, *(thumbnail.file for thumbnail in image.thumbnails)]


def stored(app):
    root = Path(app.config["MEDIA_ROOT"])
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def set_image(runner, link, path):
    assert invoke(runner, "links", "update", link.id, "--image", path).exit_code == 0


def image_id_of(app, link_id):
    with app.app_context():
        return db.session.scalar(
            select(AuditEntry.after_image_id)
            .where(AuditEntry.link_id == link_id)
            .order_by(AuditEntry.id.desc())
        )


def test_prune_deletes_only_the_entries_older_than_the_cutoff(app, runner, portfolio, make_link):
    link = make_link(portfolio)
    for name in ("one", "two", "three", "four"):
        invoke(runner, "links", "update", link.id, "--name", name)
    oldest, old, recent, new = entry_ids(app)
    age(app, 400, [oldest])
    age(app, 31, [old])
    age(app, 29, [recent])
    result = invoke(runner, "audit", "prune", "--older-than", "30")
    assert (result.exit_code, result.stdout) == (0, "2\n")
    assert result.stderr.startswith("Deleted 2 audit entries recorded before ")
    assert entry_ids(app) == [recent, new]
    # Nothing is old enough any more: a second run deletes nothing.
    assert invoke(runner, "audit", "prune", "--older-than", "30").stdout == "0\n"


def test_dry_run_deletes_nothing_and_says_how_many(app, runner, portfolio, make_link):
    link = make_link(portfolio)
    for name in ("one", "two", "three"):
        invoke(runner, "links", "update", link.id, "--name", name)
    ids = entry_ids(app)
    age(app, 10, ids[:2])
    result = invoke(runner, "audit", "prune", "--older-than", "7", "--dry-run")
    assert (result.exit_code, result.stdout) == (0, "2\n")
    assert result.stderr.startswith("Would delete 2 audit entries recorded before ")
    assert entry_ids(app) == ids


@pytest.mark.parametrize("options", [(), ("--older-than", "0"), ("--older-than", "soon")])
def test_prune_needs_a_number_of_days(app, runner, portfolio, make_link, options):
    invoke(runner, "links", "update", make_link(portfolio).id, "--name", "x")
    age(app, 100, entry_ids(app))
    assert_fails(invoke(runner, "audit", "prune", *options), "--older-than", exit_code=2)
    assert len(entry_ids(app)) == 1


def test_media_prune_then_removes_the_images_only_pruned_entries_showed(
    app, runner, portfolio, make_link, tmp_path
):
    replaced, deleted, unpictured = (make_link(portfolio, name=n) for n in ("a", "b", "c"))
    set_image(runner, replaced, write_jpeg(tmp_path / "first.jpg", color="red"))
    first = image_id_of(app, replaced.id)
    set_image(runner, replaced, write_jpeg(tmp_path / "second.jpg", color="green"))
    second = image_id_of(app, replaced.id)
    set_image(runner, deleted, write_jpeg(tmp_path / "gone.jpg", color="blue"))
    gone = image_id_of(app, deleted.id)
    assert invoke(runner, "links", "delete", deleted.id).exit_code == 0
    old_entries = entry_ids(app)
    set_image(runner, unpictured, write_jpeg(tmp_path / "kept.jpg", color="white"))
    kept = image_id_of(app, unpictured.id)
    assert invoke(runner, "links", "update", unpictured.id, "--remove-image").exit_code == 0
    files = {image: image_files(app, image) for image in (first, second, gone, kept)}
    # Every image is still shown by a link or an entry: media prune leaves them all.
    assert invoke(runner, "media", "prune", "--grace", "0").stdout == ""

    # The entries showing first and gone are old; kept's first entry too, but its removal
    # (recorded now) still shows it.
    age(app, 90, [*old_entries, entry_ids(app)[-2]])
    pruned = invoke(runner, "audit", "prune", "--older-than", "30")
    assert pruned.stdout == f"{len(old_entries) + 1}\n"
    result = invoke(runner, "media", "prune", "--grace", "0")
    assert result.exit_code == 0, result.output
    assert sorted(result.stdout.splitlines()) == sorted([*files[first], *files[gone]])
    assert "Removed 2 images" in result.stderr
    assert stored(app) == {*files[second], *files[kept]}
    with app.app_context():
        remaining = set(db.session.scalars(select(Image.id)))
    assert remaining == {second, kept}


def test_restoring_a_pruned_deletion_is_a_clear_error(app, runner, portfolio, make_link):
    link = make_link(portfolio, name="gone for good")
    deleted = invoke(runner, "links", "delete", link.id)
    assert deleted.exit_code == 0
    (entry_id,) = entry_ids(app)
    age(app, 60, [entry_id])
    assert invoke(runner, "audit", "prune", "--older-than", "30").stdout == "1\n"
    result = invoke(runner, "links", "restore", entry_id)
    assert_fails(result, f"No audit entry {entry_id}:", "`flask audit prune` removed it")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0

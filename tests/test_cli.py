"""The command line of SPEC section 7: outputs scripts rely on, errors, and what is stored."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from portfolio_app.auth import check_password, hash_token_key, verify_token
from portfolio_app.errors import APIError
from portfolio_app.extensions import db
from portfolio_app.models import ApiToken, Image, Link, Portfolio, User, UserPermission
from tests.images import write_jpeg, write_png_rgba


def invoke(runner, *args, **kwargs):
    """Run `flask ARGS...` and return the result (stdout and stderr kept apart)."""
    return runner.invoke(args=[str(arg) for arg in args], **kwargs)


def assert_fails(result, *messages, exit_code=1):
    """Assert the command failed with nothing on stdout and each message on stderr."""
    assert result.exit_code == exit_code, result.output
    assert result.stdout == ""
    for message in messages:
        assert message in result.stderr


def get_user(app, username):
    with app.app_context():
        user = db.session.scalars(db.select(User).where(User.username == username)).first()
        if user is not None:
            user.permission_codes = sorted(p.code for p in user.permissions)
            db.session.expunge(user)
        return user


def count(app, model):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def all_links(app):
    with app.app_context():
        links = db.session.scalars(db.select(Link).order_by(Link.id)).all()
        db.session.expunge_all()
        return links


def caller_of(app, key):
    """Return the id of the user a token key authenticates, as the API would."""
    with app.app_context(), app.test_request_context(headers={"Authorization": f"Token {key}"}):
        return verify_token(None).user.id


def media_files(app):
    return sorted(p for p in Path(app.config["MEDIA_ROOT"]).rglob("*") if p.is_file())


# users create


def test_users_create_prints_the_new_id_alone(app, runner):
    result = invoke(runner, "users", "create", "alice")
    user = get_user(app, "alice")
    assert result.exit_code == 0
    assert result.stdout == f"{user.id}\n"
    assert user.password_hash is None  # token-only
    assert (user.is_active, user.is_staff, user.is_admin) == (True, False, False)
    assert user.permission_codes == []


def test_users_create_sets_flags_and_permissions(app, runner):
    result = invoke(
        runner, "users", "create", "bob", "--staff", "--admin", "--inactive",
        "--permission", "4242", "--permission", "7", "--permission", "4242",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = get_user(app, "bob")
    assert (user.is_active, user.is_staff, user.is_admin) == (False, True, True)
    assert user.permission_codes == [7, 4242]


def test_users_create_reads_the_password_from_one_line_of_stdin(app, runner):
    result = invoke(
        runner, "users", "create", "carol", "--password-stdin", input="correct horse\nignored\n"
    )
    assert result.exit_code == 0, result.output
    user = get_user(app, "carol")
    assert result.stdout == f"{user.id}\n"
    assert user.password_hash.startswith("$argon2id$")
    assert check_password(user.password_hash, "correct horse")
    assert not check_password(user.password_hash, "correct horse\n")
    assert not check_password(user.password_hash, "ignored")


@pytest.mark.parametrize("stdin", ["\n", "", "\r\n"])
def test_users_create_refuses_an_empty_password(app, runner, stdin):
    result = invoke(runner, "users", "create", "dave", "--password-stdin", input=stdin)
    assert_fails(result, "password read from stdin is empty")
    assert get_user(app, "dave") is None


def test_users_create_refuses_a_duplicate_username(app, runner, make_user):
    make_user("erin")
    result = invoke(runner, "users", "create", "erin", "--staff")
    assert_fails(result, "User 'erin' already exists.")
    assert count(app, User) == 1


@pytest.mark.parametrize("code", ["abc", "1.5", "-1", str(2**31)])
def test_users_create_refuses_a_bad_permission_code(app, runner, code):
    result = invoke(runner, "users", "create", "frank", "--permission", code)
    assert_fails(result, "--permission", exit_code=2)
    assert get_user(app, "frank") is None


@pytest.mark.parametrize("username", ["", "   ", "nul\x00name", "x" * 151])
def test_users_create_refuses_a_bad_username(app, runner, username):
    result = invoke(runner, "users", "create", username)
    assert_fails(result, "USERNAME must be 1 to 150 characters", exit_code=2)
    assert count(app, User) == 0


# users grant / revoke


def test_users_grant_adds_the_permission_once(app, runner, make_user):
    make_user("gina", permissions=())
    first = invoke(runner, "users", "grant", "gina", "4242")
    again = invoke(runner, "users", "grant", "gina", "4242")
    assert (first.exit_code, first.stdout) == (0, "")
    assert (again.exit_code, again.stdout) == (0, "")
    assert "already holds" in again.stderr
    assert get_user(app, "gina").permission_codes == [4242]


def test_users_revoke_removes_the_permission(app, runner, make_user):
    make_user("hank", permissions=(4242, 9))
    result = invoke(runner, "users", "revoke", "hank", "4242")
    assert (result.exit_code, result.stdout) == (0, "")
    assert get_user(app, "hank").permission_codes == [9]


def test_users_revoke_of_a_permission_not_held_fails(app, runner, make_user):
    make_user("ivy", permissions=(9,))
    assert_fails(invoke(runner, "users", "revoke", "ivy", "4242"), "does not hold permission 4242")
    assert get_user(app, "ivy").permission_codes == [9]


@pytest.mark.parametrize("action", ["grant", "revoke"])
def test_users_grant_and_revoke_refuse_an_unknown_user(app, runner, action):
    assert_fails(invoke(runner, "users", action, "nobody", "4242"), "No user named 'nobody'.")
    assert count(app, UserPermission) == 0


@pytest.mark.parametrize("action", ["grant", "revoke"])
@pytest.mark.parametrize("code", ["abc", "1.5", str(2**31)])
def test_users_grant_and_revoke_refuse_a_bad_code(app, runner, make_user, action, code):
    make_user("jack", permissions=())
    result = invoke(runner, "users", action, "jack", code)
    assert_fails(result, "Invalid value for 'CODE'", exit_code=2)
    assert count(app, UserPermission) == 0


# tokens


def test_tokens_create_prints_a_key_that_authenticates_and_is_stored_hashed(app, runner, make_user):
    user = make_user("kate")
    result = invoke(runner, "tokens", "create", "kate")
    assert result.exit_code == 0, result.output
    key = result.stdout.removesuffix("\n")
    assert result.stdout == key + "\n"
    assert len(key) == 40 and int(key, 16) >= 0  # 160 bits, as DRF's keys
    with app.app_context():
        token = db.session.scalars(db.select(ApiToken)).one()
        assert token.key_hash == hash_token_key(key) != key
        assert token.user_id == user.id and token.revoked_at is None
    assert caller_of(app, key) == user.id


def test_tokens_create_gives_a_new_key_each_time(app, runner, make_user):
    make_user("liam")
    keys = {invoke(runner, "tokens", "create", "liam").stdout for _ in range(2)}
    assert len(keys) == 2
    assert count(app, ApiToken) == 2


def test_tokens_create_for_an_inactive_user_warns(app, runner, make_user):
    make_user("mia", active=False)
    result = invoke(runner, "tokens", "create", "mia")
    assert result.exit_code == 0
    assert len(result.stdout) == 41
    assert "inactive" in result.stderr


def test_tokens_create_refuses_an_unknown_user(app, runner):
    assert_fails(invoke(runner, "tokens", "create", "nobody"), "No user named 'nobody'.")
    assert count(app, ApiToken) == 0


def test_tokens_revoke_makes_the_key_stop_working(app, runner, make_user, make_token):
    user = make_user("noah")
    key, other_key = make_token(user), make_token(user)
    result = invoke(runner, "tokens", "revoke", key)
    assert (result.exit_code, result.stdout) == (0, "")
    with pytest.raises(APIError) as error:
        caller_of(app, key)
    assert error.value.body == {"detail": "Invalid token."}
    assert caller_of(app, other_key) == user.id  # only the one token
    with app.app_context():
        revoked = db.session.scalars(
            db.select(ApiToken).where(ApiToken.key_hash == hash_token_key(key))
        ).one()
        assert revoked.revoked_at is not None


def test_tokens_revoke_refuses_an_unknown_or_revoked_key(app, runner, make_user, make_token):
    key = make_token(make_user())
    assert_fails(invoke(runner, "tokens", "revoke", "0" * 40), "No active token")
    assert invoke(runner, "tokens", "revoke", key).exit_code == 0
    assert_fails(invoke(runner, "tokens", "revoke", key), "No active token")


# portfolios


def test_portfolios_create_prints_the_new_id_alone(app, runner):
    result = invoke(runner, "portfolios", "create", "پروژه‌ها")
    with app.app_context():
        portfolio = db.session.scalars(db.select(Portfolio)).one()
        assert result.stdout == f"{portfolio.id}\n"
        assert portfolio.name == "پروژه‌ها"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "NAME: This field may not be blank."),
        ("  ", "NAME: This field may not be blank."),
        ("a\x00b", "NAME: Null characters are not allowed."),
    ],
)
def test_portfolios_create_refuses_a_bad_name(app, runner, name, message):
    assert_fails(invoke(runner, "portfolios", "create", name), message, exit_code=2)
    assert count(app, Portfolio) == 0


# links add


def test_links_add_prints_the_new_id_alone(app, runner, portfolio):
    before = datetime.now(UTC)
    result = invoke(
        runner, "links", "add", portfolio.id, "--name", "گیت‌هاب من",
        "--url", "https://github.com/", "--description", "", "--order", "-3",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [link] = all_links(app)
    assert result.stdout == f"{link.id}\n"
    assert (link.portfolio_id, link.name, link.url) == (
        portfolio.id,
        "گیت‌هاب من",
        "https://github.com/",
    )
    assert link.description == ""  # kept, not turned into null
    assert link.order == -3 and link.image_id is None
    assert link.has_url and not link.has_description
    assert link.search_text == "گیت هاب من\nhttps://github.com/"
    assert before <= link.created_at == link.updated_at <= datetime.now(UTC)


def test_links_add_defaults(app, runner, portfolio):
    assert invoke(runner, "links", "add", portfolio.id, "--name", "plain").exit_code == 0
    [link] = all_links(app)
    assert (link.url, link.description, link.order) == (None, None, 0)


def test_links_add_stores_the_image(app, runner, portfolio, tmp_path):
    path = write_jpeg(tmp_path / "عکس من.jpg", size=(300, 200))
    result = invoke(runner, "links", "add", portfolio.id, "--name", "photo", "--image", path)
    assert result.exit_code == 0, result.output
    [link] = all_links(app)
    with app.app_context():
        image = db.session.get(Image, link.image_id)
        assert (image.name, image.width, image.height) == ("عکس من.jpg", 300, 200)
        assert [t.size for t in image.thumbnails] == [64, 128, 512, 1080]
    assert len(media_files(app)) == 5


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--url", "javascript:alert(1)", "--url: Enter a valid URL."),
        ("--url", "example.com", "--url: Enter a valid URL."),
        ("--name", "  ", "--name: This field may not be blank."),
        ("--name", "a\x00b", "--name: Null characters are not allowed."),
        ("--name", "x" * 1001, "--name: Ensure this field has no more than 1000 characters."),
        ("--description", "\x00", "--description: Null characters are not allowed."),
        ("--order", "2147483648", "--order: Ensure this value is less than or equal to"),
        ("--order", "1.5", "--order: A valid integer is required."),
        ("--image", "missing.png", "--image: No such file: missing.png"),
    ],
)
def test_links_add_refuses_bad_fields(app, runner, portfolio, option, value, message):
    args = ["links", "add", portfolio.id, "--name", "ok", option, value]
    assert_fails(invoke(runner, *args), message)
    assert count(app, Link) == 0


def test_links_add_refuses_a_file_that_is_not_an_image(app, runner, portfolio, tmp_path):
    path = tmp_path / "fake.png"
    path.write_bytes(b"not an image")
    result = invoke(runner, "links", "add", portfolio.id, "--name", "x", "--image", path)
    assert_fails(result, "--image: not an image")
    assert (count(app, Link), count(app, Image), media_files(app)) == (0, 0, [])


@pytest.mark.parametrize("portfolio_id", ["999", "0", str(2**63)])
def test_links_add_refuses_an_unknown_portfolio(app, runner, portfolio_id):
    result = invoke(runner, "links", "add", portfolio_id, "--name", "x")
    assert_fails(result, f"No portfolio with id {portfolio_id}.")


# links import: formats


def write_json(path, document):
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def write_lines(path, *lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def import_file(runner, portfolio, path):
    return invoke(runner, "links", "import", portfolio.id, path)


def test_links_import_reads_a_json_array(app, runner, portfolio, tmp_path):
    path = write_json(
        tmp_path / "links.json",
        [
            {"name": "GitHub", "url": "https://github.com/", "description": "", "order": 2},
            {"name": "پیک موتوری", "url": None, "description": None},
            {"name": "FTP", "url": "ftp://ftp.example.com/pub/"},
        ],
    )
    result = import_file(runner, portfolio, path)
    assert (result.exit_code, result.stdout) == (0, "3\n"), result.output
    links = all_links(app)
    assert [(x.name, x.url, x.description, x.order) for x in links] == [
        ("GitHub", "https://github.com/", "", 2),
        ("پیک موتوری", None, None, 0),
        ("FTP", "ftp://ftp.example.com/pub/", None, 0),
    ]
    assert {x.portfolio_id for x in links} == {portfolio.id}
    # The derived columns are written by the bulk insert, which runs no ORM events.
    flags = [(x.has_url, x.has_description) for x in links]
    assert flags == [(True, False), (False, False), (True, False)]
    assert links[1].search_text == "پیک موتوری\n"
    assert links[0].name_key == "github"


def test_links_import_reads_an_api_response_and_ignores_extra_fields(
    app, runner, portfolio, tmp_path
):
    response = {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": 901,
                "name": "a",
                "url": "https://a.example/",
                "image_data": {"id": 5, "f": "https://x/y.jpg"},
                "description": "d",
                "created_at": "2024-01-12T16:43:37.941799Z",
                "updated_at": "2024-02-01T00:00:00.000001Z",
            },
            {"id": 902, "name": "b", "url": None, "image_data": None, "description": None},
        ],
    }
    result = import_file(runner, portfolio, write_json(tmp_path / "page.json", response))
    assert (result.exit_code, result.stdout) == (0, "2\n"), result.output
    links = all_links(app)
    assert [x.name for x in links] == ["a", "b"]
    assert 901 not in {x.id for x in links}
    assert links[0].image_id is None
    assert links[0].created_at == datetime(2024, 1, 12, 16, 43, 37, 941799, UTC)
    assert links[0].updated_at == datetime(2024, 2, 1, 0, 0, 0, 1, UTC)


def test_links_import_reads_json_lines_skipping_other_kinds_and_blank_lines(
    app, runner, portfolio, tmp_path
):
    path = write_lines(
        tmp_path / "export.jsonl",
        '{"kind": "portfolio", "name": "not a link"}',
        "",
        '{"kind": "link", "name": "one"}',
        "   ",
        '{"name": "two", "url": "https://two.example/"}',
        '{"kind": "image", "file": "x.jpg"}',
        '{"kind": null, "name": "skipped too: kind is there and not link"}',
        '{"name": "three\u2028with a line separator"}',
    )
    result = import_file(runner, portfolio, path)
    assert (result.exit_code, result.stdout) == (0, "3\n"), result.output
    assert [x.name for x in all_links(app)] == ["one", "two", "three\u2028with a line separator"]


def test_links_import_reads_a_single_json_line(app, runner, portfolio, tmp_path):
    path = write_lines(tmp_path / "one.jsonl", '{"name": "only"}')
    assert import_file(runner, portfolio, path).stdout == "1\n"
    assert [x.name for x in all_links(app)] == ["only"]


def test_links_import_of_an_empty_file_imports_nothing(app, runner, portfolio, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    assert (import_file(runner, portfolio, path).stdout, count(app, Link)) == ("0\n", 0)


def test_links_import_keeps_timestamps_as_given(app, runner, portfolio, tmp_path):
    before = datetime.now(UTC)
    path = write_json(
        tmp_path / "times.json",
        [
            {"name": "z", "created_at": "2023-05-06T07:08:09.123456Z"},
            {"name": "offset", "created_at": "2024-01-15T10:00:00.5+03:30"},
            {"name": "naive", "created_at": "2024-01-15 23:59:59.999999"},
            {"name": "both", "created_at": "2022-01-01T00:00Z", "updated_at": "2023-01-01T12:00Z"},
            {"name": "updated only", "updated_at": "2020-02-29T00:00:00Z"},
            {"name": "none"},
        ],
    )
    assert import_file(runner, portfolio, path).stdout == "6\n"
    stamps = {x.name: (x.created_at, x.updated_at) for x in all_links(app)}
    moment = datetime(2023, 5, 6, 7, 8, 9, 123456, UTC)
    assert stamps["z"] == (moment, moment)  # updated_at defaults to created_at
    offset = datetime(2024, 1, 15, 6, 30, 0, 500000, UTC)
    assert stamps["offset"] == (offset, offset)
    naive = datetime(2024, 1, 15, 23, 59, 59, 999999, UTC)
    assert stamps["naive"] == (naive, naive)
    assert stamps["both"] == (
        datetime(2022, 1, 1, tzinfo=UTC),
        datetime(2023, 1, 1, 12, 0, 0, 0, UTC),
    )
    assert stamps["updated only"][1] == datetime(2020, 2, 29, tzinfo=UTC)
    created, updated = stamps["none"]
    assert before <= created == updated <= datetime.now(UTC)
    assert stamps["updated only"][0] == created  # one "now" for the whole import


# links import: images


def test_links_naming_the_same_image_share_one_stored_image(app, runner, portfolio, tmp_path):
    (tmp_path / "pics").mkdir()
    write_jpeg(tmp_path / "pics" / "a.jpg", size=(120, 80))
    write_png_rgba(tmp_path / "logo.png", size=(40, 40))
    path = write_lines(
        tmp_path / "links.jsonl",
        '{"name": "1", "image": "pics/a.jpg"}',
        '{"name": "2", "image": "./pics/a.jpg"}',
        '{"name": "3", "image": "pics/../pics/a.jpg"}',
        '{"name": "4", "image": "logo.png"}',
        '{"name": "5", "image": null}',
    )
    result = invoke(runner, "links", "import", portfolio.id, path)
    assert (result.exit_code, result.stdout) == (0, "5\n"), result.output
    links = all_links(app)
    assert links[0].image_id == links[1].image_id == links[2].image_id is not None
    assert links[3].image_id not in (None, links[0].image_id)
    assert links[4].image_id is None
    with app.app_context():
        images = db.session.scalars(db.select(Image).order_by(Image.id)).all()
        assert [(i.name, i.mode) for i in images] == [("a.jpg", "RGB"), ("logo.png", "RGBA")]
    assert len(media_files(app)) == 10  # two originals, four thumbnails each


def test_links_import_removes_stored_images_when_it_fails(app, runner, portfolio, tmp_path):
    write_jpeg(tmp_path / "good.jpg")
    (tmp_path / "bad.png").write_bytes(b"\x89PNG but not really")
    path = write_lines(
        tmp_path / "links.jsonl",
        '{"name": "good", "image": "good.jpg"}',
        '{"name": "bad", "image": "bad.png"}',
        '{"name": "bad again", "image": "bad.png"}',
    )
    result = invoke(runner, "links", "import", portfolio.id, path)
    assert_fails(result, "1 error in links.jsonl; nothing imported.", "line 2: image: not an image")
    assert "line 3" not in result.stderr  # one file, reported once
    assert (count(app, Link), count(app, Image), media_files(app)) == (0, 0, [])


def test_links_import_removes_stored_images_when_the_insert_fails(
    app, runner, portfolio, tmp_path, monkeypatch
):
    from portfolio_app.commands import link_import

    def failing_insert(*args):
        raise RuntimeError("database went away")

    monkeypatch.setattr(link_import, "_insert", failing_insert)
    write_jpeg(tmp_path / "a.jpg")
    path = write_json(tmp_path / "links.json", [{"name": "x", "image": "a.jpg"}])
    result = invoke(runner, "links", "import", portfolio.id, path)
    assert result.exit_code != 0 and result.stdout == ""
    assert (count(app, Link), count(app, Image), media_files(app)) == (0, 0, [])


def test_links_import_reports_a_missing_image_file(app, runner, portfolio, tmp_path):
    path = write_json(tmp_path / "links.json", [{"name": "x", "image": "nowhere.jpg"}])
    result = invoke(runner, "links", "import", portfolio.id, path)
    assert_fails(result, f"index 0: image: No such file: {tmp_path / 'nowhere.jpg'}")


def test_links_import_reports_a_missing_file_at_every_link_naming_it(
    app, runner, portfolio, tmp_path
):
    # The file is looked up once per import, but every link naming it is wrong.
    write_jpeg(tmp_path / "here.jpg")
    links = [{"name": n, "image": image} for n, image in enumerate(["gone.jpg", "here.jpg"] * 2)]
    path = write_json(
        tmp_path / "links.json", [{**link, "name": str(link["name"])} for link in links]
    )
    result = invoke(runner, "links", "import", portfolio.id, path)
    missing = tmp_path / "gone.jpg"
    assert_fails(
        result,
        "2 errors in links.json; nothing imported.",
        f"index 0: image: No such file: {missing}",
        f"index 2: image: No such file: {missing}",
    )


# links import: all or nothing


def test_links_import_reports_every_error_and_imports_nothing(app, runner, portfolio, tmp_path):
    path = write_lines(
        tmp_path / "links.jsonl",
        '{"name": "fine"}',
        '{"name": "x", "url": "javascript:alert(1)"}',
        '{"kind": "note"}',
        '{"url": "https://example.com/"}',
        '{"name": "x", "order": 2147483648, "created_at": "yesterday"}',
        '{"name": "a\\u0000b", "description": "\\u0000"}',
        '{"name": "broken",',
        "[1, 2]",
        '{"name": "lone \\ud800 surrogate"}',
    )
    result = invoke(runner, "links", "import", portfolio.id, path)
    assert_fails(
        result,
        "9 errors in links.jsonl; nothing imported.",
        "line 2: url: Enter a valid URL.",
        "line 4: name: This field is required.",
        "line 5: order: Ensure this value is less than or equal to 2147483647.",
        "line 5: created_at: Datetime has wrong format.",
        "line 6: name: Null characters are not allowed.",
        "line 6: description: Null characters are not allowed.",
        "line 7: Invalid JSON:",
        "line 8: Expected an object.",
        "line 9: name: Surrogate characters are not allowed.",
    )
    assert "line 1" not in result.stderr and "line 3" not in result.stderr
    assert count(app, Link) == 0


def test_links_import_reports_array_errors_by_index(app, runner, portfolio, tmp_path):
    path = write_json(
        tmp_path / "links.json",
        [
            {"name": "ok"},
            {"name": ""},
            {"name": 5, "url": "mailto:me@example.com", "description": 3},
            "text",
            {"name": "x", "updated_at": "2024-02-30T00:00:00Z", "order": "1.0"},
            {"name": "y" * 1001, "url": "https://e.com/" + "u" * 4096},
        ],
    )
    result = invoke(runner, "links", "import", portfolio.id, path)
    assert_fails(
        result,
        "index 1: name: This field may not be blank.",
        "index 2: name: Not a valid string.",
        "index 2: url: Enter a valid URL.",
        "index 2: description: Not a valid string.",
        "index 3: Expected an object.",
        "index 4: updated_at: Datetime has wrong format.",
        "index 4: order: A valid integer is required.",
        "index 5: name: Ensure this field has no more than 1000 characters.",
        "index 5: url: Ensure this field has no more than 4096 characters.",
    )
    assert "index 0" not in result.stderr
    assert count(app, Link) == 0


def test_links_import_caps_the_errors_shown(app, runner, portfolio, tmp_path):
    path = write_lines(tmp_path / "links.jsonl", *['{"name": ""}'] * 25)
    result = invoke(runner, "links", "import", portfolio.id, path)
    assert_fails(result, "25 errors", "line 20: name:", "... and 5 more.")
    assert "line 21:" not in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "javascript://example.com/%0Aalert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "mailto:me@example.com",
        "//example.com/",
        "http://",
        "http://a",
        "http://exa mple.com/",
        "http://example.com/\nx",
        "http://[::::]/",
        "http://256.1.1.1/",
        " https://example.com/",
        "https://example.com/a b",
    ],
)
def test_links_import_rejects_urls_drfs_urlfield_rejects(app, runner, portfolio, tmp_path, url):
    path = write_json(tmp_path / "links.json", [{"name": "ok"}, {"name": "x", "url": url}])
    result = invoke(runner, "links", "import", portfolio.id, path)
    assert_fails(result, "index 1: url: Enter a valid URL.")
    assert count(app, Link) == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "HTTP://EXAMPLE.COM/path?q=1#frag",
        "https://user:pass@example.com:8443/",
        "ftps://files.example.org/a%20b",
        "http://localhost:5000/",
        "http://127.0.0.1/",
        "http://[::1]:8000/",
        "https://نمونه.ایران/مسیر",
        "",
    ],
)
def test_links_import_accepts_urls_drfs_urlfield_accepts(app, runner, portfolio, tmp_path, url):
    path = write_json(tmp_path / "links.json", [{"name": "x", "url": url}])
    assert import_file(runner, portfolio, path).stdout == "1\n"
    assert all_links(app)[0].url == url


# links import: files that are not link files


def test_links_import_refuses_bad_json(app, runner, portfolio, tmp_path):
    path = tmp_path / "links.json"
    path.write_text('[{"name": "a"},\n {"name": "b"},]')
    assert_fails(import_file(runner, portfolio, path), "links.json is not valid JSON", "line 2")
    assert count(app, Link) == 0


@pytest.mark.parametrize(
    "content",
    [b"name,url\nGitHub,https://github.com/\n", b"\xff\xfe\x00garbage", b"42\n"],
)
def test_links_import_refuses_a_file_that_is_not_json(app, runner, portfolio, tmp_path, content):
    path = tmp_path / "links.csv"
    path.write_bytes(content)
    assert_fails(import_file(runner, portfolio, path), "links.csv is not")
    assert count(app, Link) == 0


def test_links_import_refuses_results_that_are_not_a_list(app, runner, portfolio, tmp_path):
    path = write_json(tmp_path / "page.json", {"results": {"name": "x"}})
    assert_fails(import_file(runner, portfolio, path), '"results" must be a list')


def test_links_import_refuses_an_unknown_portfolio(app, runner, tmp_path):
    path = write_json(tmp_path / "links.json", [{"name": "x"}])
    assert_fails(invoke(runner, "links", "import", 12345, path), "No portfolio with id 12345.")
    assert count(app, Link) == 0


def test_links_import_refuses_a_missing_file(app, runner, portfolio, tmp_path):
    result = invoke(runner, "links", "import", portfolio.id, tmp_path / "nope.json")
    assert_fails(result, "does not exist", exit_code=2)


def test_links_import_inserts_in_chunks(app, runner, portfolio, tmp_path, monkeypatch):
    from portfolio_app.commands import link_import

    monkeypatch.setattr(link_import, "CHUNK_SIZE", 3)
    lines = [
        json.dumps({"name": f"n{i}", "url": None if i % 2 else "https://e.com/"}) for i in range(10)
    ]
    result = import_file(runner, portfolio, write_lines(tmp_path / "l.jsonl", *lines))
    assert result.stdout == "10\n"
    links = all_links(app)
    assert [x.name for x in links] == [f"n{i}" for i in range(10)]
    assert [x.has_url for x in links] == [i % 2 == 0 for i in range(10)]


# demo


def run_demo(runner, *args, **kwargs):
    result = invoke(runner, "demo", *args, **kwargs)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def demo_key(lines):
    return lines[2].removeprefix("Token:  ")


def test_demo_creates_a_portfolio_a_staff_user_and_a_working_token(app, runner):
    lines = run_demo(runner)
    with app.app_context():
        portfolio = db.session.scalars(db.select(Portfolio)).one()
        user = db.session.scalars(db.select(User).where(User.username == "demo")).one()
        links = db.session.scalars(db.select(Link).order_by(Link.id)).all()
        images = db.session.scalars(db.select(Image)).all()
        assert lines == [
            f"Demo portfolio {portfolio.id}: 57 links",
            f"Login:  demo / {lines[1].removeprefix('Login:  demo / ')}",
            f"Token:  {demo_key(lines)}",
            f'Try:    curl -H "Authorization: Token {demo_key(lines)}" '
            f"http://127.0.0.1:5000/api/portfolios/{portfolio.id}/links/",
        ]
        assert check_password(user.password_hash, lines[1].removeprefix("Login:  demo / "))
        assert user.is_active and user.is_staff and not user.is_admin
        assert [p.code for p in user.permissions] == [4242]
        assert portfolio.name == "Demo portfolio" and len(links) == 57
        names = {link.name for link in links}
        assert {"گیت\u200cهاب من", "پیک موتوری", "Flask documentation"} <= names
        assert any(link.url is None for link in links)
        assert any(link.description == "" for link in links)
        assert any(link.description is None for link in links)
        assert len({link.order for link in links}) > 2
        assert max(x.created_at for x in links) - min(x.created_at for x in links) > timedelta(
            days=365
        )
        assert sum(link.image_id is not None for link in links) >= 10
        assert {image.mode for image in images} >= {"RGB", "RGBA"}
        assert "نقشه تهران.jpg" in {image.name for image in images}
        assert all(len(image.thumbnails) == 4 for image in images)
    assert caller_of(app, demo_key(lines)) == user.id
    assert len(media_files(app)) == 5 * len(images)


def test_demo_runs_twice_without_duplicating_the_portfolio(app, runner):
    first, second = run_demo(runner), run_demo(runner)
    assert first[0] == second[0]  # same portfolio, same 57 links
    assert first[1] != second[1] and demo_key(first) != demo_key(second)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Portfolio)) == 1
        user = db.session.scalars(db.select(User)).one()
        assert check_password(user.password_hash, second[1].removeprefix("Login:  demo / "))
        assert not check_password(user.password_hash, first[1].removeprefix("Login:  demo / "))
        assert [p.code for p in user.permissions] == [4242]
    assert (count(app, Link), count(app, ApiToken)) == (57, 2)
    assert caller_of(app, demo_key(second)) == user.id
    assert len(media_files(app)) == 5 * count(app, Image)


def test_demo_restores_an_existing_demo_user(app, runner, make_user):
    make_user("demo", staff=False, active=False, permissions=())
    lines = run_demo(runner)
    user = get_user(app, "demo")
    assert user.is_active and user.is_staff and user.permission_codes == [4242]
    assert caller_of(app, demo_key(lines)) == user.id


def test_demo_base_url_from_option_or_environment(runner):
    by_option = run_demo(runner, "--base-url", "https://links.example/")
    assert by_option[3].endswith(" https://links.example/api/portfolios/1/links/")
    by_env = run_demo(runner, env={"DEMO_BASE_URL": "http://10.0.0.5:8000"})
    assert by_env[3].endswith(" http://10.0.0.5:8000/api/portfolios/1/links/")

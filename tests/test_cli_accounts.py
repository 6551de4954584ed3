"""Accounts on the command line: token listing and usage, users, portfolios, help texts."""

import logging
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import flask_migrate
import pytest
import sqlalchemy as sa

from portfolio_app.auth import check_password, hash_token_key
from portfolio_app.errors import APIError
from portfolio_app.extensions import db
from portfolio_app.models import ApiToken, Portfolio
from tests.test_cli import assert_fails, caller_of, get_user, invoke
from tests.test_pages import log_in

URL = "/api/portfolios/{}/links/"
PASSWORD = "correct horse battery staple"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z")


def token_of(app, key):
    """Return the stored token of a key, detached."""
    with app.app_context():
        token = db.session.scalars(
            db.select(ApiToken).where(ApiToken.key_hash == hash_token_key(key))
        ).one()
        db.session.expunge(token)
        return token


def set_token(app, key, **values):
    """Change a stored token's columns behind the app's back."""
    with app.app_context():
        db.session.execute(
            sa.update(ApiToken).where(ApiToken.key_hash == hash_token_key(key)).values(**values)
        )
        db.session.commit()


def table(result):
    """Return a listing's header and rows, each a list of its tab-separated fields."""
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("\n")
    header, *rows = (line.split("\t") for line in result.stdout.removesuffix("\n").split("\n"))
    assert all(len(row) == len(header) for row in rows)
    return header, rows


def authenticates(app, key):
    try:
        caller_of(app, key)
    except APIError:
        return False
    return True


# A token's prefix and last use


def test_a_token_stores_the_first_8_characters_of_its_key_never_the_key(app, make_user, make_token):
    key = make_token(make_user())
    token = token_of(app, key)
    assert token.prefix == key[:8]
    assert len(key) == 40 and token.key_hash != key
    assert token.last_used_at is None


def test_the_first_use_of_a_token_is_recorded_in_one_update(
    app, api, portfolio, make_user, make_token, count_queries
):
    key = make_token(make_user())
    assert api(URL.format(portfolio.id)).status_code == 200  # warm the steady key
    with count_queries() as steady:
        assert api(URL.format(portfolio.id)).status_code == 200
    before = datetime.now(UTC)
    with count_queries() as first:
        assert api(URL.format(portfolio.id), token=key).status_code == 200
    after = datetime.now(UTC)
    # SQLite's write also sets and restores the busy timeout around it (PRAGMA statements).
    extra = [s for s in first.statements if not s.lstrip().upper().startswith("PRAGMA")]
    writes = [s for s in extra if not s.lstrip().upper().startswith("SELECT")]
    assert len(extra) == steady.count + 1
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE API_TOKENS")
    assert before <= token_of(app, key).last_used_at <= after


def test_a_use_within_the_interval_writes_nothing(
    app, api, portfolio, make_user, make_token, count_queries
):
    key = make_token(make_user())
    assert api(URL.format(portfolio.id), token=key).status_code == 200
    recorded = token_of(app, key).last_used_at
    with count_queries() as again:
        assert api(URL.format(portfolio.id), token=key).status_code == 200
    assert all(s.lstrip().upper().startswith("SELECT") for s in again.statements)
    assert token_of(app, key).last_used_at == recorded


@pytest.mark.parametrize(("seconds_ago", "recorded_again"), [(30, False), (61, True)])
def test_a_use_is_recorded_again_once_the_interval_has_passed(
    app, api, portfolio, make_user, make_token, seconds_ago, recorded_again
):
    assert app.config["TOKEN_LAST_USED_INTERVAL"] == 60
    earlier = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    key = make_token(make_user(), last_used_at=earlier)
    assert api(URL.format(portfolio.id), token=key).status_code == 200
    assert (token_of(app, key).last_used_at > earlier) is recorded_again


def test_an_interval_of_zero_records_every_use(app, api, portfolio, make_user, make_token):
    app.config["TOKEN_LAST_USED_INTERVAL"] = 0
    key = make_token(make_user())
    api(URL.format(portfolio.id), token=key)
    first = token_of(app, key).last_used_at
    api(URL.format(portfolio.id), token=key)
    assert token_of(app, key).last_used_at > first


def test_a_refused_token_records_no_use(app, api, portfolio, make_user, make_token, runner):
    inactive = make_token(make_user(active=False))
    revoked = make_token(make_user())
    assert invoke(runner, "tokens", "revoke", revoked).exit_code == 0
    assert api(URL.format(portfolio.id), token=inactive).status_code == 401
    assert api(URL.format(portfolio.id), token=revoked).status_code == 401
    assert token_of(app, inactive).last_used_at is None
    assert token_of(app, revoked).last_used_at is None


def test_a_token_without_the_permission_still_records_its_use(
    app, api, portfolio, make_user, make_token
):
    key = make_token(make_user(permissions=()))
    assert api(URL.format(portfolio.id), token=key).status_code == 403
    assert token_of(app, key).last_used_at is not None  # it authenticated


def test_a_locked_sqlite_database_skips_the_record_without_waiting(
    backend, app, api, portfolio, make_user, make_token, count_queries, caplog
):
    if backend != "sqlite":
        pytest.skip("SQLite's file lock")
    key = make_token(make_user())
    caplog.set_level(logging.DEBUG, logger="portfolio_app.auth")
    path = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # holds the write lock, as an import does
        with count_queries() as counter:
            response = api(URL.format(portfolio.id), token=key)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert response.status_code == 200
    assert token_of(app, key).last_used_at is None
    assert "use not recorded: (sqlite3.OperationalError) database is locked" in caplog.text
    # The write gave up at once, and the connection went back to the pool as it came.
    pragmas = [s for s in counter.statements if s.startswith("PRAGMA busy_timeout")]
    assert pragmas == [
        "PRAGMA busy_timeout",
        "PRAGMA busy_timeout = 0",
        "PRAGMA busy_timeout = 5000",
    ]
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    # Once the lock is gone, the next request records the use.
    assert api(URL.format(portfolio.id), token=key).status_code == 200
    assert token_of(app, key).last_used_at is not None


def test_a_postgresql_row_being_written_is_skipped_not_waited_for(
    backend, app, api, portfolio, make_user, make_token, caplog
):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's row locks")
    key = make_token(make_user())
    caplog.set_level(logging.DEBUG, logger="portfolio_app.auth")
    with app.app_context(), db.engine.connect() as holder:
        holder.execute(
            sa.select(ApiToken.id).where(ApiToken.key_hash == hash_token_key(key)).with_for_update()
        ).one()
        response = api(URL.format(portfolio.id), token=key)
        holder.rollback()
    assert response.status_code == 200
    assert token_of(app, key).last_used_at is None
    assert "not recorded" not in caplog.text  # skipped, rather than timed out


def test_an_error_recording_the_use_never_fails_the_request(
    app, api, portfolio, make_user, make_token, monkeypatch, caplog
):
    import portfolio_app.auth as auth

    key = make_token(make_user())
    caplog.set_level(logging.DEBUG, logger="portfolio_app.auth")
    monkeypatch.setattr(auth, "_RECORD_TOKEN_USE", sa.text("UPDATE no_such_table SET x = 1"))
    response = api(URL.format(portfolio.id), token=key)
    assert response.status_code == 200
    assert response.json["count"] == 0
    assert "use not recorded" in caplog.text
    assert token_of(app, key).last_used_at is None


def test_migration_0004_goes_down_and_up_keeping_the_tokens(app, runner, make_user, make_token):
    user = make_user("olga")
    key = make_token(user)
    set_token(app, key, last_used_at=datetime(2026, 1, 2, tzinfo=UTC))
    with app.app_context():
        flask_migrate.downgrade(revision="0003")
        db.session.remove()
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("api_tokens")}
        assert {"prefix", "last_used_at"}.isdisjoint(columns)
        assert db.session.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar() == 1
        db.session.remove()
        flask_migrate.upgrade()
        db.session.remove()
    # A token issued before the prefix was kept: no prefix, never used since, still valid.
    _, rows = table(invoke(runner, "tokens", "list", "olga"))
    assert [row[1:2] + row[3:] for row in rows] == [["-", "never"]]
    assert caller_of(app, key) == user.id
    assert token_of(app, key).last_used_at is not None


# tokens list


def test_tokens_list_shows_active_tokens_without_their_keys(
    app, api, portfolio, runner, make_user, make_token
):
    user = make_user("pam")
    used, unused, revoked = make_token(user), make_token(user), make_token(user)
    make_token(make_user("someone-else"))
    assert invoke(runner, "tokens", "revoke", revoked).exit_code == 0
    assert api(URL.format(portfolio.id), token=used).status_code == 200
    result = invoke(runner, "tokens", "list", "pam")
    header, rows = table(result)
    assert header == ["id", "prefix", "created", "last_used"]
    assert [row[:2] for row in rows] == [[str(token_of(app, k).id), k[:8]] for k in (used, unused)]
    assert all(TIMESTAMP.match(row[2]) for row in rows)
    assert rows[0][3] == token_of(app, used).last_used_at.isoformat(
        timespec="microseconds"
    ).replace("+00:00", "Z")
    assert rows[1][3] == "never"
    for key in (used, unused, revoked):
        assert key not in result.output and hash_token_key(key) not in result.output
    assert result.stderr == ""


def test_tokens_list_all_adds_revoked_tokens_and_when(app, runner, make_user, make_token):
    user = make_user("quinn")
    kept, revoked = make_token(user), make_token(user)
    assert invoke(runner, "tokens", "revoke", revoked).exit_code == 0
    header, rows = table(invoke(runner, "tokens", "list", "quinn", "--all"))
    assert header == ["id", "prefix", "created", "last_used", "revoked"]
    assert [row[1] for row in rows] == [kept[:8], revoked[:8]]
    assert rows[0][4] == "-"
    assert TIMESTAMP.match(rows[1][4])


def test_tokens_list_of_a_user_without_tokens_is_the_header_alone(runner, make_user):
    make_user("rita")
    assert invoke(runner, "tokens", "list", "rita").stdout == "id\tprefix\tcreated\tlast_used\n"


def test_tokens_list_refuses_an_unknown_user(runner):
    assert_fails(invoke(runner, "tokens", "list", "nobody"), "No user named 'nobody'.")


# tokens revoke


def test_tokens_revoke_by_id(app, runner, make_user, make_token):
    user = make_user("sam")
    key, other = make_token(user), make_token(user)
    token_id = token_of(app, key).id
    result = invoke(runner, "tokens", "revoke", "--id", token_id)
    assert (result.exit_code, result.stdout) == (0, "")
    assert f"Revoked token {token_id} of sam." in result.stderr
    assert not authenticates(app, key)
    assert authenticates(app, other)
    assert_fails(invoke(runner, "tokens", "revoke", "--id", token_id), "No active token has id")


@pytest.mark.parametrize("token_id", ["0", "-1", "999", str(2**63), str(2**70)])
def test_tokens_revoke_refuses_an_unknown_id(app, runner, make_user, make_token, token_id):
    key = make_token(make_user())
    result = invoke(runner, "tokens", "revoke", "--id", token_id)
    assert_fails(result, f"No active token has id {token_id}.")
    assert authenticates(app, key)


def test_tokens_revoke_refuses_an_id_that_is_not_a_number(runner):
    assert_fails(invoke(runner, "tokens", "revoke", "--id", "one"), "'--id'", exit_code=2)


def test_tokens_revoke_by_a_prefix_that_names_one_active_token(app, runner, make_user, make_token):
    user = make_user("tess")
    key, other, revoked = make_token(user), make_token(user), make_token(user)
    set_token(app, key, prefix="abcd1234")
    set_token(app, other, prefix="abcd5678")
    set_token(app, revoked, prefix="abcd1299", revoked_at=datetime.now(UTC))
    result = invoke(runner, "tokens", "revoke", "--prefix", "abcd12")
    assert (result.exit_code, result.stdout) == (0, "")
    assert not authenticates(app, key)
    assert authenticates(app, other)


def test_tokens_revoke_by_a_prefix_several_tokens_share_lists_their_ids(
    app, runner, make_user, make_token
):
    user = make_user("uma")
    first, second = make_token(user), make_token(user)
    set_token(app, first, prefix="abcd1234")
    set_token(app, second, prefix="abcd5678")
    ids = [token_of(app, key).id for key in (first, second)]
    result = invoke(runner, "tokens", "revoke", "--prefix", "abcd")
    assert_fails(
        result, f"2 active tokens have a key starting with 'abcd' (ids {ids[0]}, {ids[1]})"
    )
    assert authenticates(app, first) and authenticates(app, second)


@pytest.mark.parametrize("prefix", ["%", "_", "ffffffff", "a%", "\\"])
def test_tokens_revoke_by_an_unknown_prefix_fails(app, runner, make_user, make_token, prefix):
    key = make_token(make_user())
    set_token(app, key, prefix="abcd1234")
    assert_fails(
        invoke(runner, "tokens", "revoke", "--prefix", prefix), "No active token has a key"
    )
    assert authenticates(app, key)


def test_tokens_revoke_by_a_prefix_with_undecodable_bytes_fails(runner):
    result = invoke(runner, "tokens", "revoke", "--prefix", "ab\udcff")
    assert_fails(result, "No active token has a key")


@pytest.mark.parametrize("prefix", ["", "abcd12345"])
def test_tokens_revoke_refuses_a_prefix_of_the_wrong_length(runner, prefix):
    assert_fails(
        invoke(runner, "tokens", "revoke", "--prefix", prefix), "1 to 8 characters", exit_code=2
    )


@pytest.mark.parametrize("args", [[], ["0" * 40, "--id", "1"], ["--id", "1", "--prefix", "abcd"]])
def test_tokens_revoke_takes_exactly_one_way_of_naming_the_token(
    runner, make_user, make_token, args
):
    make_token(make_user())
    result = invoke(runner, "tokens", "revoke", *args)
    assert_fails(result, "Name the token by one of KEY, --id or --prefix.", exit_code=2)


# demo


def test_demo_revokes_the_earlier_demo_tokens(app, runner, make_user, make_token):
    first = invoke(runner, "demo")
    assert first.exit_code == 0 and "earlier demo token" not in first.stderr
    issued_by_hand = make_token(get_user(app, "demo"))
    second = invoke(runner, "demo")
    assert second.exit_code == 0, second.output
    assert "Revoked 2 earlier demo tokens." in second.stderr
    assert "Revoked" not in second.stdout
    keys = [r.stdout.splitlines()[2].removeprefix("Token:  ") for r in (first, second)]
    assert not authenticates(app, keys[0]) and not authenticates(app, issued_by_hand)
    assert authenticates(app, keys[1])
    third = invoke(runner, "demo")
    assert "Revoked 1 earlier demo token." in third.stderr


def test_demo_leaves_other_users_tokens_alone(app, runner, make_user, make_token):
    key = make_token(make_user("not-demo"))
    assert invoke(runner, "demo").exit_code == 0
    assert invoke(runner, "demo").exit_code == 0
    assert authenticates(app, key)


# users set-password


def test_users_set_password_from_stdin(app, runner, make_user):
    make_user("vera", password="old password")
    result = invoke(runner, "users", "set-password", "vera", "--password-stdin", input="new one\n")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "Changed the password of vera" in result.stderr
    user = get_user(app, "vera")
    assert check_password(user.password_hash, "new one")
    assert not check_password(user.password_hash, "old password")


def test_users_set_password_gives_a_token_only_user_a_password(app, runner, client, make_user):
    make_user("walt")
    invoke(runner, "users", "set-password", "walt", "--password-stdin", input=f"{PASSWORD}\n")
    assert log_in(client, "walt").status_code == 302


def test_users_set_password_prompts_twice_without_echo(app, runner, make_user):
    make_user("xena", password="old password")
    result = invoke(runner, "users", "set-password", "xena", input="first\nsecond\nthird\nthird\n")
    # The test runner writes a line to stdout for each hidden input; a terminal does not.
    assert (result.exit_code, result.stdout.strip()) == (0, "")
    assert "New password" in result.stderr and "do not match" in result.stderr
    for typed in ("first", "second", "third"):
        assert typed not in result.output
    assert check_password(get_user(app, "xena").password_hash, "third")


@pytest.mark.parametrize("stdin", ["\n", ""])
def test_users_set_password_refuses_an_empty_password(app, runner, make_user, stdin):
    make_user("yann", password="old password")
    result = invoke(runner, "users", "set-password", "yann", "--password-stdin", input=stdin)
    assert_fails(result, "password read from stdin is empty")
    assert check_password(get_user(app, "yann").password_hash, "old password")


def test_users_set_password_refuses_an_unknown_user(runner):
    result = invoke(runner, "users", "set-password", "nobody", "--password-stdin", input="x\n")
    assert_fails(result, "No user named 'nobody'.")


def test_a_password_change_ends_the_users_sessions(app, runner, client, make_user):
    make_user("zoe", password=PASSWORD)
    assert log_in(client, "zoe").status_code == 302
    assert client.get("/").status_code == 200
    invoke(runner, "users", "set-password", "zoe", "--password-stdin", input=f"{PASSWORD}\n")
    response = client.get("/")  # the same password, but a new hash: the session is over
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert log_in(client, "zoe").status_code == 302  # and a new one starts


# users deactivate / activate


def test_users_deactivate_and_activate_are_idempotent(app, runner, make_user):
    make_user("abel")
    steps = [
        ("deactivate", "abel is now inactive.", False),
        ("deactivate", "abel is already inactive.", False),
        ("activate", "abel is now active.", True),
        ("activate", "abel is already active.", True),
    ]
    for command, message, active in steps:
        result = invoke(runner, "users", command, "abel")
        assert (result.exit_code, result.stdout) == (0, "")
        assert message in result.stderr
        assert get_user(app, "abel").is_active is active


def test_a_deactivated_user_loses_sessions_and_tokens(
    app, api, runner, client, portfolio, make_user, make_token
):
    make_user("bea", password=PASSWORD)
    key = make_token(get_user(app, "bea"))
    assert log_in(client, "bea").status_code == 302
    assert invoke(runner, "users", "deactivate", "bea").exit_code == 0
    assert client.get("/").status_code == 302
    response = api(URL.format(portfolio.id), token=key)
    assert (response.status_code, response.json) == (401, {"detail": "User inactive or deleted."})
    assert invoke(runner, "users", "activate", "bea").exit_code == 0
    assert api(URL.format(portfolio.id), token=key).status_code == 200


@pytest.mark.parametrize("command", ["activate", "deactivate"])
def test_users_activate_and_deactivate_refuse_an_unknown_user(runner, command):
    assert_fails(invoke(runner, "users", command, "nobody"), "No user named 'nobody'.")


# users list


def test_users_list(app, runner, make_user):
    first = make_user("carl", staff=True, permissions=(4242, 7))
    second = make_user("dora", staff=False, admin=True, active=False, permissions=())
    result = invoke(runner, "users", "list")
    header, rows = table(result)
    assert header == ["id", "username", "active", "staff", "admin", "permissions"]
    assert rows == [
        [str(first.id), "carl", "yes", "yes", "no", "7,4242"],
        [str(second.id), "dora", "no", "no", "yes", "-"],
    ]
    assert result.stderr == ""


def test_users_list_escapes_what_would_break_a_line_or_a_terminal(app, runner):
    name = "tab\there\nnew\\line\x1b[31m\u200cگیت"
    assert invoke(runner, "users", "create", name).exit_code == 0
    result = invoke(runner, "users", "list")
    _, rows = table(result)
    assert rows[0][1] == "tab\\there\\nnew\\\\line\\x1b[31m\u200cگیت"
    assert "\x1b" not in result.stdout


def test_users_list_with_no_users_is_the_header_alone(runner):
    assert (
        invoke(runner, "users", "list").stdout
        == "id\tusername\tactive\tstaff\tadmin\tpermissions\n"
    )


# portfolios list / rename


def test_portfolios_list_reads_the_kept_link_count(
    app, runner, make_portfolio, make_link, count_queries
):
    first, second = make_portfolio("پروژه‌ها"), make_portfolio("tab\tname")
    for _ in range(3):
        make_link(first)
    with count_queries() as counter:
        header, rows = table(invoke(runner, "portfolios", "list"))
    assert header == ["id", "name", "links"]
    assert rows == [[str(first.id), "پروژه‌ها", "3"], [str(second.id), "tab\\tname", "0"]]
    assert not any("links" in re.findall(r"FROM (\w+)", s) for s in counter.statements)
    with app.app_context():  # the column itself is what is shown
        db.session.execute(sa.update(Portfolio).values(link_count=42))
        db.session.commit()
    _, rows = table(invoke(runner, "portfolios", "list"))
    assert [row[2] for row in rows] == ["42", "42"]


def test_portfolios_rename(app, runner, make_portfolio):
    portfolio = make_portfolio("Old")
    result = invoke(runner, "portfolios", "rename", portfolio.id, "گیت\u200cهاب")
    assert (result.exit_code, result.stdout) == (0, "")
    assert f"Renamed portfolio {portfolio.id} from 'Old' to" in result.stderr
    with app.app_context():
        assert db.session.get(Portfolio, portfolio.id).name == "گیت\u200cهاب"


@pytest.mark.parametrize("command", ["create", "rename"])
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "NAME: This field may not be blank."),
        (" \t", "NAME: This field may not be blank."),
        ("a\x00b", "NAME: Null characters are not allowed."),
        ("x" * 1001, "NAME: Ensure this field has no more than 1000 characters."),
    ],
)
def test_portfolio_names_follow_one_rule(app, runner, make_portfolio, command, name, message):
    portfolio = make_portfolio("Kept")
    args = [portfolio.id, name] if command == "rename" else [name]
    assert_fails(invoke(runner, "portfolios", command, *args), message, exit_code=2)
    with app.app_context():
        assert db.session.scalars(db.select(Portfolio.name)).all() == ["Kept"]


@pytest.mark.parametrize("portfolio_id", ["0", "999", str(2**63), str(2**70), "-3"])
def test_portfolios_rename_refuses_an_unknown_portfolio(runner, portfolio_id):
    result = invoke(runner, "portfolios", "rename", "--", portfolio_id, "New")
    assert_fails(result, f"No portfolio with id {portfolio_id}.")


# Help texts


def summaries(runner, *group):
    """Return each command's summary in a group's --help listing, 80 columns wide."""
    result = runner.invoke(args=[*group, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    listing = result.stdout.split("\nCommands:\n", 1)[1]
    rows, name = {}, None
    for line in listing.splitlines():
        if line.startswith("    "):  # a summary wrapped onto the next line
            rows[name] += " " + line.strip()
        else:
            name, _, summary = line.strip().partition(" ")
            rows[name] = summary.strip()
    return rows


@pytest.mark.parametrize("group", ["users", "tokens", "portfolios", "links", "audit", "media"])
def test_every_command_summary_is_whole(app, runner, group):
    commands = app.cli.get_command(None, group).commands
    listed = summaries(runner, group)
    assert set(listed) == set(commands)
    for name, summary in listed.items():
        first_paragraph = " ".join(commands[name].help.split("\n\n")[0].split())
        assert summary == first_paragraph, name
        assert summary.endswith(".") and not summary.endswith(("...", "e.g.")), name
        assert summary.count("(") == summary.count(")"), name


def test_the_group_summaries_are_whole(runner):
    listed = summaries(runner)
    for name in ("users", "tokens", "portfolios", "links", "audit", "media", "demo"):
        assert listed[name].endswith(".") and not listed[name].endswith("..."), name


def test_the_help_says_what_permission_4242_is(runner):
    assert "4242: list and manage links" in summaries(runner, "users")["grant"]
    group_help = runner.invoke(args=["users", "--help"]).stdout
    assert "Permission 4242 lets a staff user list and manage portfolio links" in " ".join(
        group_help.split()
    )

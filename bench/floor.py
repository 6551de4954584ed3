"""The SQL floor: the statements a request runs, timed directly against the database.

Each scenario's request is made once in-process (Flask's test client), so the app's own
query builders produce the statements; the exact SQL and parameters are recorded and then
replayed through the database driver, without Flask, SQLAlchemy or serialisation. The
floor is the median time of one request's statements together: what no web layer can beat.
"""

import statistics
import time
from dataclasses import dataclass

from sqlalchemy import event

from portfolio_app import create_app
from portfolio_app.extensions import db


@dataclass(frozen=True)
class Floor:
    """A scenario's statements and how long the database takes to answer them."""

    status: int
    matches: int | None
    statements: int
    median_ms: float
    per_statement_ms: list


def sql_floors(config, key, scenarios, repeats):
    """Return {scenario name: Floor} for the app configured by config."""
    app = create_app({**config, "LOG_LEVEL": "WARNING"})  # no log line per request
    with app.app_context():
        engine = db.engine
    # Requests made outside that context each get their own, and a fresh session, as
    # under gunicorn: nothing is served from an earlier request's identity map.
    client = app.test_client()
    floors = {}
    for scenario in scenarios:
        status, matches, statements = _record(client, engine, scenario.path, key)
        floors[scenario.name] = _time(engine, status, matches, statements, repeats)
    engine.dispose()
    return floors


def _record(client, engine, path, key):
    statements = []

    def remember(connection, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        response = client.get(path, headers={"Authorization": f"Token {key}"})
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    body = response.get_json(silent=True)
    matches = body.get("count") if isinstance(body, dict) else None
    return response.status_code, matches, statements


def _time(engine, status, matches, statements, repeats):
    connection = engine.raw_connection()
    try:
        runs = [_run_once(connection, statements) for _ in range(repeats)]
    finally:
        connection.close()
    per_statement = [statistics.median(run[i] for run in runs) for i in range(len(statements))]
    return Floor(
        status=status,
        matches=matches,
        statements=len(statements),
        median_ms=statistics.median(sum(run) for run in runs),
        per_statement_ms=[round(ms, 3) for ms in per_statement],
    )


def _run_once(connection, statements):
    """Run each statement and fetch all its rows; return the milliseconds of each."""
    times = []
    for statement, parameters in statements:
        cursor = connection.cursor()
        started = time.perf_counter()
        cursor.execute(statement, parameters)
        if cursor.description is not None:  # not the token's last-use stamp (an UPDATE)
            cursor.fetchall()
        times.append((time.perf_counter() - started) * 1000)
        cursor.close()
    return times

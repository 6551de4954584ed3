"""Fixtures of the staff page tests, loaded with pytest_plugins = ["tests.staff_fixtures"]."""

import pytest

from portfolio_app.auth import password_stamp


@pytest.fixture
def staff(make_user):
    return make_user("staff")


@pytest.fixture
def portfolio(make_portfolio):
    return make_portfolio("My work")


def sign_in(client, user):
    """Give client the session the login form gives user (the form is tested elsewhere)."""
    with client.session_transaction() as session:
        session["user_id"] = user.id
        session["username"] = user.username
        session["password_stamp"] = password_stamp(user)
    return client


@pytest.fixture
def browser(client, staff):
    """A test client logged in as a staff user with permission 4242."""
    return sign_in(client, staff)

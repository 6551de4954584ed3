"""Fixtures of the staff page tests, loaded with pytest_plugins = ["tests.staff_fixtures"]."""

import pytest

from tests.staff_support import sign_in


@pytest.fixture
def staff(make_user):
    return make_user("staff")


@pytest.fixture
def browser(client, staff):
    """A test client logged in as a staff user with permission 4242."""
    return sign_in(client, staff)

from portfolio_app.extensions import db
from portfolio_app.models import Link


def test_link_derived_columns_are_written_with_the_row(app, make_portfolio, make_link):
    link = make_link(make_portfolio(), name="  GitHub ", url=None, description=" \n")
    with app.app_context():
        stored = db.session.get(Link, link.id)
        assert stored.search_text == "github\n"
        assert stored.has_url is False
        assert stored.has_description is False

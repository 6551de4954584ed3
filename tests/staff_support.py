"""What the staff page tests share: a logged-in client, forms with their CSRF token, reads."""

import re
from html import unescape

from sqlalchemy import select

from portfolio_app.auth import password_stamp
from portfolio_app.extensions import db
from portfolio_app.models import AuditEntry, Link
from tests.test_pages import HTML, csrf_token

LIST = "/api/portfolios/{}/links/"
STAFF = "/staff/portfolios/{}/links/"


def sign_in(client, user):
    """Give client the session the login form gives user (the form is tested elsewhere)."""
    with client.session_transaction() as session:
        session["user_id"] = user.id
        session["username"] = user.username
        session["password_stamp"] = password_stamp(user)
    return client


def token_of(browser):
    """Return a CSRF token valid for the browser's session (fetched once: pages eat flashes)."""
    if getattr(browser, "csrf", None) is None:
        browser.csrf = csrf_token(browser.get("/login"))
    return browser.csrf


def post(browser, path, data=None, **kwargs):
    """POST a staff form with the session's CSRF token."""
    return browser.post(path, data={"csrf_token": token_of(browser), **(data or {})}, **kwargs)


def text_of(response):
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def field_error(response, name):
    """Return the message shown under a field, or None."""
    html = response.get_data(as_text=True)
    found = re.search(rf'<p class="field-error" id="{name}-error">([^<]*)</p>', html)
    return unescape(found[1]) if found else None


def field_value(response, name):
    """Return the value an input (or textarea) of the link form shows."""
    html = response.get_data(as_text=True)
    found = re.search(rf'<input id="link-{name}" name="{name}" type="[a-z]+" value="([^"]*)"', html)
    if found:
        return unescape(found[1])
    found = re.search(rf'<textarea id="link-{name}"[^>]*>(.*?)</textarea>', html, re.S)
    return unescape(found[1]) if found else None


def links_of(app, portfolio):
    """Return the portfolio's links in the default ordering, as (id, name) pairs."""
    with app.app_context():
        rows = db.session.execute(
            select(Link.id, Link.name)
            .where(Link.portfolio_id == portfolio.id)
            .order_by(Link.order, Link.created_at.desc(), Link.id.desc())
        ).all()
    return [tuple(row) for row in rows]


def audit_actions(app, link_id=None):
    with app.app_context():
        query = select(AuditEntry.action, AuditEntry.username).order_by(AuditEntry.id)
        if link_id is not None:
            query = query.where(AuditEntry.link_id == link_id)
        return [tuple(row) for row in db.session.execute(query)]


def flashes(browser, url, headers=HTML):
    """Follow to url and return the messages it shows."""
    html = browser.get(url, headers=headers).get_data(as_text=True)
    return [unescape(m) for m in re.findall(r'<p class="message [^"]*"[^>]*>([^<]*)</p>', html)]

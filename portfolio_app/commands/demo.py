"""`flask demo`: a portfolio with real images, a staff user and a token to try the API with."""

import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from PIL import Image, ImageDraw

from .. import media
from ..auth import hash_password, issue_token
from ..extensions import db
from ..models import Link, Portfolio, User, UserPermission, utcnow
from .common import removing_on_failure
from .demo_data import DEMO_IMAGES, DEMO_LINKS

DEMO_USERNAME = "demo"
DEMO_PORTFOLIO = "Demo portfolio"


@click.command("demo")
@click.option(
    "--base-url",
    envvar="DEMO_BASE_URL",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where the app runs, for the curl line (env DEMO_BASE_URL).",
)
@with_appcontext
def demo(base_url):
    """Set up a demo portfolio, staff user and token to try.

    Creates the portfolio "Demo portfolio" (once) and the staff user "demo" holding 4242;
    each run gives "demo" a new password and a new token, revokes its earlier tokens, and
    prints them with a ready curl line.
    """
    password = secrets.token_urlsafe(12)
    user = _demo_user(password)
    stored = []
    with removing_on_failure(stored):
        portfolio = _demo_portfolio(stored)
        revoked = _revoke_tokens(user)
        key = issue_token(user)
        db.session.commit()
    if revoked:
        click.echo(f"Revoked {revoked} earlier demo token{'s' if revoked > 1 else ''}.", err=True)
    url = f"{base_url.rstrip('/')}/api/portfolios/{portfolio.id}/links/"
    click.echo(f"{portfolio.name} {portfolio.id}: {portfolio.link_count} links")
    click.echo(f"Login:  {DEMO_USERNAME} / {password}")
    click.echo(f"Token:  {key}")
    click.echo(f'Try:    curl -H "Authorization: Token {key}" {url}')


def _demo_user(password):
    """Return the demo user, created if needed, active staff with the links permission."""
    user = db.session.scalars(db.select(User).where(User.username == DEMO_USERNAME)).first()
    if user is None:
        user = User(username=DEMO_USERNAME)
        db.session.add(user)
    user.is_active, user.is_staff = True, True
    user.password_hash = hash_password(password)
    code = current_app.config["LINKS_PERMISSION_CODE"]
    if code not in {permission.code for permission in user.permissions}:
        user.permissions.append(UserPermission(code=code))
    return user


def _revoke_tokens(user):
    """Revoke the user's active tokens, so that only the key printed now works; count them."""
    now, revoked = utcnow(), 0
    for token in user.tokens:
        if token.revoked_at is None:
            token.revoked_at, revoked = now, revoked + 1
    return revoked


def _demo_portfolio(stored):
    """Return the demo portfolio; create and fill it only the first time."""
    portfolio = db.session.scalars(
        db.select(Portfolio).where(Portfolio.name == DEMO_PORTFOLIO).order_by(Portfolio.id)
    ).first()
    if portfolio is None:
        portfolio = Portfolio(name=DEMO_PORTFOLIO)
        db.session.add(portfolio)
        images = _demo_images(stored)
        db.session.add_all(_demo_links(portfolio, images))
    return portfolio


def _demo_images(stored):
    """Draw the demo images, store them through media and return them by name."""
    images = {}
    with tempfile.TemporaryDirectory() as folder:
        for key, (file_name, drawing) in DEMO_IMAGES.items():
            path = Path(folder, file_name)
            draw_image(path, *drawing)
            images[key] = media.ingest_image(path, original_name=file_name)
            stored.append(images[key])
    return images


def draw_image(path, kind, size, start, end):
    """Write an opaque gradient (JPEG) or a shape on a transparent background (PNG)."""
    if kind == "gradient":
        mask = Image.linear_gradient("L").resize(size)
        picture = Image.composite(Image.new("RGB", size, end), Image.new("RGB", size, start), mask)
        picture.save(path, quality=90)
        return
    picture = Image.new("RGBA", size, (0, 0, 0, 0))
    pen = ImageDraw.Draw(picture)
    width, height = size
    pen.ellipse((width // 8, height // 8, width * 7 // 8, height * 7 // 8), fill=(*start, 255))
    pen.rectangle((width // 3, height // 3, width * 2 // 3, height * 2 // 3), fill=(*end, 128))
    picture.save(path)


def _demo_links(portfolio, images):
    """Build the demo links, created over about two years, some edited since."""
    now = utcnow()
    links = []
    for index, (name, url, description, image, order) in enumerate(DEMO_LINKS):
        created = now - timedelta(days=index * 13, hours=index * 7, microseconds=index * 1013)
        updated = created + timedelta(days=index % 4 * 3) if index % 3 else created
        links.append(
            Link(
                portfolio=portfolio,
                name=name,
                url=url,
                description=description,
                image=images[image] if image else None,
                order=order,
                created_at=created,
                updated_at=min(updated, now),
            )
        )
    return links

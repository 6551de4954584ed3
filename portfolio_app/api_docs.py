"""The API's description at /api/openapi.json and its documentation page at /api/docs/."""

from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import generate_csrf

from .openapi import build_description

bp = Blueprint("api_docs", __name__, url_prefix="/api")

# Vendored from npm into static/vendor/ (see its README): the page needs no network.
SWAGGER_UI = "vendor/swagger-ui-dist-5.35.0"
# Swagger UI runs on scripts and styles of this origin alone; its stylesheet draws icons
# with data: images, and "Try it out" calls the API here.
DOCS_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
DESCRIPTION_MAX_AGE = 300


def description():
    """Return this app's OpenAPI description, built on first use."""
    extensions = current_app.extensions
    if "openapi_description" not in extensions:
        extensions["openapi_description"] = build_description(current_app.config)
    return extensions["openapi_description"]


@bp.get("/openapi.json")
def openapi_json():
    """Serve the OpenAPI 3.1 description: public, cacheable, revalidated by its ETag."""
    response = jsonify(description())
    response.cache_control.public = True
    response.cache_control.max_age = DESCRIPTION_MAX_AGE
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/docs/")
def docs():
    """Show the documentation page, which Swagger UI renders from the description."""
    page = render_template(
        "docs.html",
        description_url=url_for(".openapi_json"),
        # Only for a logged-in browser: a visitor gets no session cookie from this page.
        csrf=generate_csrf() if session.get("user_id") else None,
        stylesheets=[
            url_for("static", filename=f"{SWAGGER_UI}/swagger-ui.css"),
            url_for("static", filename="docs.css"),
        ],
        scripts=[
            url_for("static", filename=f"{SWAGGER_UI}/swagger-ui-bundle.js"),
            url_for("static", filename="docs.js"),
        ],
    )
    response = make_response(page)
    # Set here, so the pages' script-free default (security.py uses setdefault) gives way.
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response

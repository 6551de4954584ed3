"""Log in and out with a username and password; list the portfolios a user may see."""

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from sqlalchemy import select

from ..auth import check_password, log_in, log_out, safe_next, session_caller
from ..extensions import db, limiter
from ..i18n.lookup import gettext
from ..models import Portfolio, User
from .forms import LoginForm

bp = Blueprint("accounts", __name__)


@bp.app_context_processor
def signed_in_user():
    """Give every template the name of the user this browser is signed in as."""
    return {"signed_in_as": session.get("username") if "user_id" in session else None}


def _failed_login(response):
    # Only failures count towards the limit: a user who logs in is not held back.
    return response.status_code in (400, 401)


@bp.get("/favicon.ico")
def favicon():
    """Point browsers that ask for /favicon.ico (JSON and fragments name none) at the icon."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_FAILURE_LIMIT"],
    methods=["POST"],
    deduct_when=_failed_login,
    error_message="Too many failed logins. Try again later.",
)
def login():
    """Show the login form; on success go back to the page that asked for it."""
    form = LoginForm(next=request.args.get("next", ""))
    if not form.is_submitted():
        return render_template("login.html", form=form)
    if not form.validate():
        return render_template("login.html", form=form), 400
    user = db.session.scalar(select(User).where(User.username == form.username.data))
    # check_password spends the same time for unknown users, so timing tells nothing.
    if not check_password(user.password_hash if user else None, form.password.data) or (
        not user.is_active
    ):
        error = gettext("Wrong username or password.")
        return render_template("login.html", form=form, error=error), 401
    log_in(user)
    return redirect(safe_next(form.next.data, url_for("accounts.index")))


@bp.post("/logout")
def logout():
    """End the session and return to the login page (CSRFProtect checks the token)."""
    log_out()
    return redirect(url_for("accounts.login"))


@bp.get("/")
def index():
    """List the portfolios with their link counts, for users who may list links."""
    caller = session_caller()
    if caller is None:
        return redirect(url_for("accounts.login", next="/"))
    if not caller.may_list_links:
        return render_template("index.html", caller=caller, portfolios=None), 403
    # The link count kept by the triggers (models.Portfolio.link_count): no links read.
    counts = select(Portfolio, Portfolio.link_count).order_by(Portfolio.name, Portfolio.id)
    portfolios = db.session.execute(counts).all()
    return render_template("index.html", caller=caller, portfolios=portfolios)

"""Extensions, created unbound and bound to the app in the factory."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
# The client's address; behind a proxy, PROXY_FIX makes it the real client's.
limiter = Limiter(key_func=get_remote_address)
# Translations; the language and time zone are chosen per request (portfolio_app.i18n).
babel = Babel()

from flask import Blueprint

bp = Blueprint("links", __name__, url_prefix="/api")

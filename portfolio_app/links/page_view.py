"""What the staff page and the embed show, computed here so the templates only render."""

import math
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import urlencode

from flask import current_app, request

from ..i18n.display import digits, moment_label, moment_title, number
from ..i18n.jalali import jalali_page
from ..i18n.lookup import gettext
from ..i18n.lookup import lazy_gettext as _l
from ..i18n.messages import translate_all
from .args import LinkListArgs

PAGE_SIZES = (10, 25, 50, 100)
SORTABLE_COLUMNS = (
    ("name", _l("Name")),
    ("id", _l("ID")),
    ("created_at", _l("Created")),
    ("updated_at", _l("Updated")),
)
# Each parameter's control (label, hint, group) is declared with its field in args.py.
CONTROLS = {
    name: field.metadata
    for name, field in LinkListArgs().fields.items()
    if "control" in field.metadata
}


def _group(control):
    return tuple(name for name, declared in CONTROLS.items() if declared["control"] == control)


CHOICE_FILTERS, TEXT_FILTERS, DATE_FILTERS = _group("choice"), _group("range"), _group("date")
# Every date filter is the same kind of control: a text field (one hint, one way to type).
DATE_HINT = _l("YYYY-MM-DD")
# On a page that reads dates in Jalali (Persian), the date filters take a Jalali day.
JALALI_HINT = _l("A Jalali day, e.g. 1403/05/01")
ORDERING_HINT = _l("e.g. -created_at,name")
SAFE_SCHEMES = ("http://", "https://")
MORE_FILTERS = [*DATE_FILTERS, *TEXT_FILTERS]


@dataclass(frozen=True)
class Field:
    """One filter control: its name, label, current value and any error next to it."""

    name: str
    label: str
    value: str
    errors: list
    kind: str = "text"
    hint: str = ""
    inputmode: str = ""


@dataclass(frozen=True)
class SortHeader:
    label: str
    url: str
    aria_sort: str  # "ascending", "descending" or "none"


@dataclass(frozen=True)
class PageLink:
    label: str
    url: str | None  # None: the gap between page numbers
    current: bool = False


def current_params():
    """Return this request's parameters: the last value of each, empty ones dropped."""
    return {key: values[-1] for key, values in request.args.lists() if values[-1] != ""}


def query_url(params, **changes):
    """Return "?..." for params with changes applied (None removes a parameter)."""
    merged = {**params, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v is not None})


def shown_as_link(url):
    """Tell whether pages make url a link (http and https only)."""
    # javascript:, data: and the rest, which `links import` keeps as given, stay text.
    return url.lower().startswith(SAFE_SCHEMES)


def link_rows(dumped_links):
    """Return the dumped links as rows of a page: each also with a safe href and a thumbnail."""
    rows = []
    for link in dumped_links:
        url = link["url"] or ""
        thumbnails = (link["image_data"] or {}).get("thumbnails") or []
        # Objects, not dicts: Jinja reads row.name with getattr first, which fails on a dict.
        rows.append(
            SimpleNamespace(
                **link,
                href=url if shown_as_link(url) else None,
                thumbnail=thumbnails[0]["f"] if thumbnails else None,
                # In DISPLAY_TIMEZONE, Jalali in Persian; the exact ISO time goes in title=.
                created_label=moment_label(link["created_at"]),
                updated_label=moment_label(link["updated_at"]),
                created_title=moment_title(link["created_at"]),
                updated_title=moment_title(link["updated_at"]),
            )
        )
    return rows


def with_row_actions(rows, portfolio_id, back):
    """Give each row the URLs of its edit, delete and move actions; return the rows."""
    # One URL adapter and one encoded return path for the page: url_for for each row and
    # action was a tenth of the page's time.
    adapter = current_app.create_url_adapter(request)
    back_query = "?" + urlencode({"next": back})
    for row in rows:
        ids = {"portfolio_id": portfolio_id, "link_id": row.id}
        row.edit_url = adapter.build("staff.edit_link", ids) + back_query
        row.delete_url = adapter.build("staff.delete_link", ids) + back_query
        row.move_url = adapter.build("staff.move_link", ids)
    return rows


def staff_page(portfolio, page=None, dumped_links=(), errors=None):
    """Return the template context of the staff page (page is None when filters are bad)."""
    params = current_params()
    back = request.full_path.rstrip("?")
    # Messages next to the fields in the page's language; the JSON keeps DRF's English.
    errors = {name: translate_all(messages) for name, messages in (errors or {}).items()}
    context = {
        "portfolio": portfolio,
        "fields": filter_fields(params, errors),
        # Open when any date or id filter is in use or wrong, so nothing set is hidden.
        "more_filters_open": any(params.get(name) or errors.get(name) for name in MORE_FILTERS),
        # The whole panel folds away on a phone, unless a message in it needs reading.
        "filters_open": bool(errors),
        "active_filters": sum(1 for name in params if name in FILTER_NAMES),
        "ignored": ignored_params(),
        "general_errors": [m for k, v in errors.items() if k not in FIELD_NAMES for m in v],
        "ordering": params.get("ordering", ""),
        "format_param": params.get("format"),
        "page_sizes": page_sizes(params),
        "json_url": query_url(params, format="json"),
        "reset_url": query_url({"format": params["format"]} if "format" in params else {}),
        "rows": with_row_actions(link_rows(dumped_links), portfolio.id, back),
        "page": page,
        # Staff actions come back to this very list (filters, page) and say what they did.
        "back": back,
        # Move up/down only where the list is in the order moves change.
        "movable": "ordering" not in params,
    }
    if page is not None:
        context |= {
            "headers": sort_headers(params),
            "pages": page_links(params, page),
            "summary": summary(page, len(context["rows"])),
            "previous_url": _offset_url(params, page, page.previous_offset),
            "next_url": _offset_url(params, page, page.next_offset),
            "download_urls": download_urls(params),
        }
    return context


def download_urls(params):
    """Return {"csv": url, "jsonl": url}: every link of the current filters, as a file."""
    # Every page: paging and the page's own format are left out.
    kept = {k: v for k, v in params.items() if k not in ("limit", "offset", "cursor", "format")}
    return {name: query_url(kept, format=name) for name in ("csv", "jsonl")}


FIELD_NAMES = set(CONTROLS)
# What the page reads from its URL; anything else is ignored (as the API ignores it).
KNOWN_PARAMS = FIELD_NAMES | {"format"}
FILTER_NAMES = FIELD_NAMES - {"limit", "offset", "ordering"}
KEEP_EMPTY = frozenset({"cursor"})


def ignored_params():
    """Return the names in this URL the page does not read (a misspelled filter, say)."""
    return [name for name in dict.fromkeys(request.args) if name not in KNOWN_PARAMS]


def clean_list_url():
    """Return this list's URL without its empty parameters, or None if it has none.

    A browser submits every field of the filter form, empty or not; an empty value means
    "not given" (SPEC 2), so the page redirects to the URL that says only what is set.
    """
    # An empty cursor is no form field: it asks the API for cursor paging, and stays.
    pairs = request.args.items(multi=True)
    unset = {key for key, values in request.args.lists() if values[-1] == ""} - KEEP_EMPTY
    kept = [(k, v) for k, v in pairs if k not in unset and (v != "" or k in KEEP_EMPTY)]
    if len(kept) == len(list(request.args.items(multi=True))):
        return None
    return request.path + ("?" + urlencode(kept) if kept else "")


def filter_fields(params, errors):
    """Return the filter controls, each with its current value and messages."""

    def field(name, kind="text", hint=None):
        declared = CONTROLS[name]
        return Field(
            name,
            declared["label"],
            params.get(name, ""),
            errors.get(name, []),
            kind=kind,
            hint=declared.get("hint", "") if hint is None else hint,
            inputmode=declared.get("inputmode", ""),
        )

    jalali = jalali_page()
    # Every date field is text (a date picker is Gregorian, and one kind is one way to type);
    # on a Jalali page it takes a Jalali day.
    date_kind, date_hint = ("text", JALALI_HINT) if jalali else ("text", DATE_HINT)

    def range_hint(name):
        # On a Jalali page a date/time bound also says what it means in Jalali.
        hint = CONTROLS[name].get("hint", "")
        if jalali and name not in ("id_min", "id_max"):
            return _range_hint(hint, params.get(name, ""))
        return hint

    return {
        "search": field("search", kind="search"),
        "choices": [field(name, kind="choice") for name in CHOICE_FILTERS],
        "dates": [field(name, kind=date_kind, hint=date_hint) for name in DATE_FILTERS],
        "ranges": [field(name, hint=range_hint(name)) for name in TEXT_FILTERS],
        "limit": field("limit", kind="choice"),
        "ordering": field("ordering", hint=CONTROLS["ordering"].get("hint") or ORDERING_HINT),
        "offset": field("offset"),
    }


def page_sizes(params):
    """Return the page sizes to offer, including the current one if it is unusual."""
    maximum = current_app.config["LINKS_MAX_LIMIT"]
    sizes = [size for size in PAGE_SIZES if size <= maximum]
    current = params.get("limit", "")
    if current.isdigit() and int(current) not in sizes and 0 < int(current) <= maximum:
        sizes = sorted([*sizes, int(current)])
    return sizes


def sort_headers(params):
    """Return each sortable column's header: where a click leads and its aria-sort."""
    keys = [key.strip() for key in params.get("ordering", "").split(",") if key.strip()]
    first = keys[0] if keys else ""
    headers = {}
    for field, label in SORTABLE_COLUMNS:
        if first == field:
            state, next_ordering = "ascending", f"-{field}"
        elif first == f"-{field}":
            state, next_ordering = "descending", field
        else:
            state, next_ordering = "none", field
        headers[field] = SortHeader(
            label, query_url(params, ordering=next_ordering, offset=None), state
        )
    return headers


def page_links(params, page):
    """Return the page-number links: first, last, and two on each side of the current."""
    if page.count <= page.limit:
        return []
    total = math.ceil(page.count / page.limit)
    current = min(page.offset // page.limit + 1, total)
    shown = sorted({1, total, *range(max(1, current - 2), min(total, current + 2) + 1)})
    links, previous = [], 0
    for page_number in shown:
        if page_number - previous > 1:
            links.append(PageLink("…", None))
        offset = (page_number - 1) * page.limit
        links.append(
            PageLink(
                digits(page_number),
                query_url(params, offset=offset or None),
                page_number == current and page.offset == offset,
            )
        )
        previous = page_number
    return links


def summary(page, shown):
    """Return "1–10 of 57" (or "0 of 57" past the end), in the page's language and digits."""
    if not shown:
        return gettext("%(shown)s of %(count)s", shown=number(0), count=number(page.count))
    return gettext(
        "%(first)s–%(last)s of %(count)s",
        first=number(page.offset + 1),
        last=number(page.offset + shown),
        count=number(page.count),
    )


def _range_hint(hint, value):
    # A from/to bound on a Jalali page: once set (the ISO value the Jalali day became),
    # the moment it names in Jalali; before that, what may be typed.
    try:
        moment = datetime.fromisoformat(value) if len(value) > 10 else None
    except ValueError:
        moment = None
    if moment is not None:
        return gettext("That is %(moment)s", moment=moment_label(moment))
    return gettext("%(jalali)s, or %(iso)s", jalali=JALALI_HINT, iso=hint)


def _offset_url(params, page, offset):
    if offset is None:
        return None
    return query_url(params, limit=str(page.limit), offset=str(offset) if offset else None)

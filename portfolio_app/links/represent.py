"""The page as JSON (the envelope of SPEC section 4), a staff page, or an embed fragment."""

from urllib.parse import urlencode

from flask import Response, jsonify, render_template, request

from ..extensions import db
from ..media import media_url_prefix
from .export import MEDIA_TYPES, LinkSnapshot, export_chunks
from .page_view import link_rows, staff_page, summary
from .schemas import dump_link, dump_links, link_etag


def page_url(limit, offset):
    """Return this request's absolute URL with limit and offset replaced, others kept."""
    return _replaced_url(limit=str(limit), offset=str(offset) if offset else None)


def cursor_url(cursor):
    """Return this request's absolute URL with its cursor replaced (offset has no say)."""
    return _replaced_url(cursor=cursor, offset=None) if cursor is not None else None


def _replaced_url(**changes):
    params = request.args.to_dict(flat=False)
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = [value]
    # Sorted, as DRF's replace_query_param writes them.
    return f"{request.base_url}?{urlencode(sorted(params.items()), doseq=True)}"


def envelope(page):
    """Return {"count", "next", "previous", "results"} for a page."""
    next_offset, previous_offset = page.next_offset, page.previous_offset
    return {
        "count": page.count,
        "next": page_url(page.limit, next_offset) if next_offset is not None else None,
        "previous": (
            page_url(page.limit, previous_offset) if previous_offset is not None else None
        ),
        "results": dump_links(page.links, request.host_url),
    }


def represent_cursor_page(page):
    """Answer with a page read by cursor: {"next", "previous", "results"}, no count (SPEC 9)."""
    return jsonify(
        {
            "next": cursor_url(page.next_cursor),
            "previous": cursor_url(page.previous_cursor),
            "results": dump_links(page.links, request.host_url),
        }
    )


def represent_json(portfolio, page):
    """Answer with the page as JSON."""
    return jsonify(envelope(page))


def represent_html(portfolio, page):
    """Answer with the staff page: filters, sortable table, pagination."""
    context = staff_page(portfolio, page, dump_links(page.links, request.host_url))
    return render_template("links/page.html", **context)


def represent_embed(portfolio, page):
    """Answer with an HTML fragment of the page's links, for another site to include."""
    rows = link_rows(dump_links(page.links, request.host_url))
    return render_template(
        "embed/links.html", portfolio=portfolio, rows=rows, summary=summary(page, len(rows))
    )


REPRESENTATIONS = {"json": represent_json, "html": represent_html, "embed": represent_embed}


def represent_export(portfolio, query, args, export_format):
    """Answer with every link of query as a CSV or JSON Lines download, streamed (SPEC 10)."""
    snapshot = LinkSnapshot(db.engine, query.select, args.get("ordering"))
    filename = f"portfolio-{portfolio.id}-links.{export_format}"
    headers = {
        "X-Total-Count": str(snapshot.count),
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    if request.method == "HEAD":
        # The headers are all a HEAD gets: the snapshot ends now, whether or not the server
        # ever closes the response.
        snapshot.close()
        return Response(content_type=MEDIA_TYPES[export_format], headers=headers)
    chunks = export_chunks(
        snapshot,
        export_format,
        media_url_prefix(request.host_url),
        description=f"portfolio {portfolio.id} as {export_format}",
    )
    response = Response(chunks, content_type=MEDIA_TYPES[export_format], headers=headers)
    # A response never iterated (a client gone before the first byte) still ends the
    # snapshot, once the server closes it as WSGI requires.
    response.call_on_close(snapshot.close)
    return response


def represent_link(link, status=200, headers=None):
    """Answer with one link as JSON, with its strong ETag (a read: 304 if the client has it)."""
    response = jsonify(dump_link(link, request.host_url))
    response.status_code = status
    response.headers.update(headers or {})
    response.set_etag(link_etag(link))
    # Only a read is conditional on If-None-Match: a write has been done, and says so (not a
    # 412 for a change that was made).
    read = status == 200 and request.method in ("GET", "HEAD")
    return response.make_conditional(request) if read else response

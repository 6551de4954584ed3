"""The page as JSON (the envelope of SPEC section 4), with absolute next/previous URLs."""

from urllib.parse import urlencode

from flask import jsonify, request

from .schemas import dump_links


def page_url(limit, offset):
    """Return this request's absolute URL with limit and offset replaced, others kept."""
    params = request.args.to_dict(flat=False)
    params["limit"] = [str(limit)]
    if offset:
        params["offset"] = [str(offset)]
    else:
        params.pop("offset", None)
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


def represent_json(page):
    """Answer with the page as JSON."""
    return jsonify(envelope(page))


REPRESENTATIONS = {"json": represent_json}

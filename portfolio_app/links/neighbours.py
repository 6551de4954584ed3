"""The link right before or after another one in the default ordering of a filtered list."""

from sqlalchemy import and_, or_

from ..extensions import db
from ..models import Link
from .query import build_links_query


def neighbour_id(portfolio_id, link, args, *, before):
    """Return the id of the link shown right before (or after) link, among those args keep.

    The default ordering is `order`, then newest first, then the highest id; the list the
    staff page shows under the same filters has link's neighbour here.
    """
    order, created_at, link_id = link.order, link.created_at, link.id
    same_order = Link.order == order
    same_time = and_(same_order, Link.created_at == created_at)
    if before:
        beyond = or_(
            Link.order < order,
            and_(same_order, Link.created_at > created_at),
            and_(same_time, Link.id > link_id),
        )
        sort = (Link.order.desc(), Link.created_at.asc(), Link.id.asc())
    else:
        beyond = or_(
            Link.order > order,
            and_(same_order, Link.created_at < created_at),
            and_(same_time, Link.id < link_id),
        )
        sort = (Link.order.asc(), Link.created_at.desc(), Link.id.desc())
    query = build_links_query(portfolio_id, args).select.with_only_columns(
        Link.id, maintain_column_froms=True
    )
    return db.session.scalar(query.where(beyond).order_by(*sort).limit(1))

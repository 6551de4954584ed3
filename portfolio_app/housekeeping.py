"""Media housekeeping: images nothing shows any more, and files no image names.

Writes never delete an image's files: the audit entry of the write that replaced or removed
it still shows it (SPEC 8), and `flask links restore` brings a link back with it. An image
becomes an orphan only when no link and no audit entry refers to it (`flask audit prune`
lets old entries go); a file, when no image or thumbnail row names it (a crash between storing and
committing). Both must also be older than a grace period, so an upload whose transaction has
not committed yet is never taken for an orphan.
"""

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, exists, select, union

from .extensions import db
from .media import MEDIA_FOLDER, media_root
from .models import AuditEntry, Image, Link, Thumbnail, utcnow

DEFAULT_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class Orphans:
    """What nothing refers to: image rows (with their files) and stray files."""

    images: list
    files: list  # paths relative to the media root

    def paths(self):
        """Return every file that pruning removes, relative to the media root."""
        image_files = [
            path
            for image in self.images
            for path in (image.file, *(thumbnail.file for thumbnail in image.thumbnails))
        ]
        return sorted([*image_files, *self.files])


def find_orphans(grace=DEFAULT_GRACE):
    """Return the images and files nothing refers to, older than grace."""
    cutoff = utcnow() - grace
    shown = union(
        select(Link.image_id).where(Link.image_id.is_not(None)),
        select(AuditEntry.before_image_id).where(AuditEntry.before_image_id.is_not(None)),
        select(AuditEntry.after_image_id).where(AuditEntry.after_image_id.is_not(None)),
    ).subquery()
    images = db.session.scalars(
        select(Image)
        .where(Image.created_at < cutoff, ~exists().where(shown.c[0] == Image.id))
        .order_by(Image.id)
    ).all()
    return Orphans(images, _stray_files(cutoff.timestamp()))


def _stray_files(cutoff):
    named = set(db.session.scalars(select(Image.file))) | set(
        db.session.scalars(select(Thumbnail.file))
    )
    root = media_root()
    stray = []
    for folder, _, files in os.walk(root / MEDIA_FOLDER):
        for name in files:
            path = Path(folder, name)
            relative = path.relative_to(root).as_posix()
            if relative not in named and path.stat().st_mtime < cutoff:
                stray.append(relative)
    return stray


def prune(orphans):
    """Delete the orphan image rows, then every orphan file; return how many files went."""
    ids = [image.id for image in orphans.images]
    paths = orphans.paths()
    if ids:
        db.session.execute(delete(Thumbnail).where(Thumbnail.image_id.in_(ids)))
        db.session.execute(delete(Image).where(Image.id.in_(ids)))
    # Rows first: should a file then fail to go, it is a stray file for the next prune,
    # never a row naming a file that is gone.
    db.session.commit()
    root = media_root()
    for relative in paths:
        (root / relative).unlink(missing_ok=True)
    return len(paths)

"""Images through Pillow: verify, store, thumbnails, human sizes."""

import contextlib
import io
import os
import secrets
import tempfile
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

from flask import abort, current_app, send_from_directory
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db
from .models import Image, Thumbnail

DEFAULT_MEDIA_URL = "/media/"
MEDIA_FOLDER = "core_media"
THUMBNAIL_EDGES = (64, 128, 512, 1080)
# Detected format -> extension of the stored original. Pillow reports phone photos that carry
# several pictures as MPO: they are JPEG files, and browsers show their first picture.
EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
# Only these decoders ever see an upload: other formats are never parsed at all.
OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
SIZE_UNITS = ("B", "KB", "MB", "GB", "TB")
# The session.info key of the files stored in the session's current transaction.
UNCOMMITTED_FILES = "uncommitted_media_files"

NOT_AN_IMAGE = "not an image (or an unsupported format): allowed are JPEG, PNG, WebP, GIF"
CORRUPT = "image is truncated or corrupt"


class ImageRejected(ValueError):
    """An upload that is not an image this service accepts; str() tells the user why."""


class ImageTooLarge(ImageRejected):
    """An image over the configured size or pixel limits (possibly a decompression bomb)."""


@dataclass(frozen=True)
class CheckedImage:
    """An upload verified by Pillow and decoded, not yet stored."""

    data: bytes  # the original, byte for byte
    picture: PILImage.Image  # decoded, EXIF orientation applied
    format: str
    mode: str  # as the original was opened
    name: str | None  # the file name as uploaded, if known


def check_image(source, original_name=None):
    """Read and verify an image (a path or a binary file) without storing anything."""
    data = _read_limited(source, current_app.config["IMAGE_MAX_BYTES"])
    picture, image_format, mode = _decode(data)
    name = original_name or _source_name(source)
    if name is not None and "\x00" in name:
        raise ImageRejected("file name must not contain null characters")
    return CheckedImage(data, _displayed(picture), image_format, mode, name)


def store_image(checked):
    """Store a checked image and its thumbnails; add its (uncommitted) Image row.

    The files are remembered on the session and removed again unless it commits
    (discard_uncommitted_files), so a write that fails leaves no file behind.
    """
    folder = PurePosixPath(MEDIA_FOLDER, datetime.now(UTC).strftime("%Y/%m/%d"))
    extension = EXTENSIONS[checked.format]
    stem = _unused_stem(folder, extension)
    original = folder / f"{stem}.{extension}"
    written = db.session.info.setdefault(UNCOMMITTED_FILES, [])
    first = len(written)
    try:
        _store(original, checked.data, written)
        thumbnails = [
            Thumbnail(size=edge, file=str(path))
            for edge, path in _store_thumbnails(checked.picture, folder, stem, written)
        ]
    except BaseException:
        _remove(written[first:])
        del written[first:]
        raise
    width, height = checked.picture.size
    image = Image(
        name=checked.name or original.name,
        file=str(original),
        size=len(checked.data),
        width=width,
        height=height,
        mode=checked.mode,
        thumbnails=thumbnails,
    )
    db.session.add(image)
    return image


def ingest_image(source, original_name=None):
    """Verify an image, store it with its thumbnails and add its (uncommitted) Image row."""
    return store_image(check_image(source, original_name))


def discard_uncommitted_files(_exception=None):
    """Remove the files stored during a transaction that never committed."""
    _remove(db.session.info.pop(UNCOMMITTED_FILES, []))


def _forget_committed_files(session):
    # Committed: the rows now name these files, which must stay.
    session.info.pop(UNCOMMITTED_FILES, None)


def _remove_rolled_back_files(session, previous_transaction):
    # Rolled back: no row names these files any more.
    if previous_transaction.parent is None:
        _remove(session.info.pop(UNCOMMITTED_FILES, []))


def delete_image_files(image):
    """Remove an image's original and thumbnails from the media root (e.g. after a rollback)."""
    _remove([image.file, *(thumbnail.file for thumbnail in image.thumbnails)])


def human_readable_size(num_bytes):
    """Return a size in 1024-based units: 808754 -> "789.80 KB", 512 -> "512 B"."""
    if num_bytes < 1024:
        return f"{int(num_bytes)} B"
    value = num_bytes
    for unit in SIZE_UNITS[1:]:
        value /= 1024
        # Compare what is printed, so 1048575 bytes reads "1.00 MB", not "1024.00 KB".
        if round(value, 2) < 1024 or unit == SIZE_UNITS[-1]:
            return f"{value:.2f} {unit}"


def prefixed_media_url(prefix, stored_path):
    """Return the URL of a stored file under prefix (from media_url_prefix)."""
    return prefix + quote(stored_path.lstrip("/"), safe="/")  # each path segment quoted


def configured_media_url(config):
    """Return MEDIA_URL as configured, the default when it is empty."""
    return config.get("MEDIA_URL") or DEFAULT_MEDIA_URL


def media_url_prefix(host_url):
    """Return what every media URL starts with: MEDIA_URL, made absolute with host_url."""
    base = configured_media_url(current_app.config)
    if not base.endswith("/"):
        base += "/"
    if base.startswith("//"):
        return f"{urlsplit(host_url).scheme}:{base}"
    if base.startswith("/"):
        return host_url.rstrip("/") + base
    return base


def is_absolute_url(url):
    """Return whether url names its scheme and server (https://cdn.example.com/media/)."""
    parts = urlsplit(url)
    return bool(parts.scheme and parts.netloc)


def register(app):
    """Serve the media root at MEDIA_URL in development; clean up after failed writes."""
    # Registered after Flask-SQLAlchemy, so it runs before the session is removed.
    app.teardown_appcontext(discard_uncommitted_files)
    base = configured_media_url(app.config)
    # An absolute media URL names another server; SERVE_MEDIA=False leaves it to nginx.
    if app.config.get("SERVE_MEDIA", True) and _is_local(base):
        app.add_url_rule(base.rstrip("/") + "/<path:filename>", "media", serve_media)


def serve_media(filename):
    """Send one stored file from the media root."""
    # Dot names are files being written (see _write_atomically): never serve them half done.
    if any(part.startswith(".") for part in filename.split("/")):
        abort(404)
    # send_from_directory refuses paths that leave the folder and answers 404 for them.
    response = send_from_directory(media_root(), filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _read_limited(source, limit):
    if isinstance(source, str | os.PathLike):
        try:
            with open(source, "rb") as file:
                return _read_stream(file, limit)
        except OSError as error:
            reason = error.strerror or error
            raise ImageRejected(f"cannot read {os.fspath(source)}: {reason}") from None
    return _read_stream(source, limit)


def _read_stream(file, limit):
    size = _remaining_size(file)
    if size is not None and size > limit:
        raise ImageTooLarge(_too_large(human_readable_size(size), limit))
    # Read one byte past the limit: a stream that cannot tell its size still stops there.
    data = file.read(limit + 1)
    if len(data) > limit:
        raise ImageTooLarge(_too_large(f"more than {human_readable_size(limit)}", limit))
    return data


def _remaining_size(file):
    try:
        start = file.tell()
        end = file.seek(0, os.SEEK_END)
        file.seek(start)
    except (AttributeError, OSError, ValueError):
        return None
    return end - start


def _too_large(size, limit):
    return f"file too large: {size}, the limit is {human_readable_size(limit)}"


def _decode(data):
    """Return the first frame loaded, the detected format and the mode as opened."""
    with warnings.catch_warnings():
        # Pillow only warns about its own bomb limit; here that must stop the upload.
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            with _open(data) as probe:
                _check_pixels(probe.size)
                image_format, mode = probe.format, probe.mode
                probe.verify()
            # verify() leaves the image unusable: decode from a fresh open.
            picture = _open(data)
            picture.load()
        except ImageRejected:
            raise
        except (PILImage.DecompressionBombWarning, PILImage.DecompressionBombError):
            raise ImageTooLarge(
                f"image too large: more than {PILImage.MAX_IMAGE_PIXELS} pixels "
                "(a possible decompression bomb)"
            ) from None
        except UnidentifiedImageError:
            raise ImageRejected(NOT_AN_IMAGE) from None
        except Exception as error:
            # Decoders fail on hostile input in many ways (OSError, SyntaxError, struct.error,
            # ValueError, ...); each one means the same thing to the user.
            raise ImageRejected(CORRUPT) from error
    return picture, image_format, mode


def _open(data):
    return PILImage.open(io.BytesIO(data), formats=OPEN_FORMATS)


def _check_pixels(size):
    # The header gives the size: refuse before a single pixel is decoded.
    pixels = size[0] * size[1]
    limit = current_app.config["IMAGE_MAX_PIXELS"]
    if pixels > limit:
        raise ImageTooLarge(f"image too large: {pixels} pixels, the limit is {limit}")


def _displayed(picture):
    """Return the picture as it is meant to be seen, its EXIF orientation applied."""
    # Unreadable EXIF: browsers show such images unrotated, and so do we.
    with contextlib.suppress(Exception):
        ImageOps.exif_transpose(picture, in_place=True)
    return picture


def _store_thumbnails(picture, folder, stem, written):
    """Write the four square thumbnails; yield (edge, stored path) for each."""
    source, extension = _thumbnail_source(picture)
    profile = _rgb_icc_profile(picture)
    square = _centre_square(source)
    for edge in THUMBNAIL_EDGES:
        thumbnail = square.resize((edge, edge), PILImage.Resampling.LANCZOS, reducing_gap=3.0)
        path = folder / "thumbnails" / f"{stem}_thumbnail_{edge}x{edge}.{extension}"
        _store(path, _encode(thumbnail, extension, profile), written)
        yield edge, path


def _thumbnail_source(picture):
    """Return the picture as RGBA with "png" if any pixel is see-through, else RGB with "jpg"."""
    picture = _eight_bit(picture)
    if picture.has_transparency_data:
        rgba = picture.convert("RGBA")
        if rgba.getchannel("A").getextrema()[0] < 255:
            return rgba, "png"
    return (picture if picture.mode == "RGB" else picture.convert("RGB")), "jpg"


def _eight_bit(picture):
    # 16-bit greyscale converts to L by clipping (all white); scale it down instead.
    if picture.mode.startswith("I"):
        return picture.convert("I").point(lambda value: value / 256).convert("L")
    return picture


def _rgb_icc_profile(picture):
    # Keep a colour profile only when it describes RGB (bytes 16-20 of an ICC header),
    # the space every thumbnail is in: wide-gamut phone photos stay true to colour.
    profile = picture.info.get("icc_profile")
    return profile if profile and profile[16:20] == b"RGB " else None


def _centre_square(picture):
    width, height = picture.size
    edge = min(width, height)
    left, top = (width - edge) // 2, (height - edge) // 2
    return picture.crop((left, top, left + edge, top + edge))


def _encode(thumbnail, extension, profile):
    options = {"icc_profile": profile} if profile else {}
    buffer = io.BytesIO()
    if extension == "png":
        thumbnail.save(buffer, "PNG", **options)
    else:
        thumbnail.save(buffer, "JPEG", quality=85, optimize=True, **options)
    return buffer.getvalue()


def _unused_stem(folder, extension):
    # 64 random bits make a clash all but impossible; checking costs one stat.
    while True:
        stem = secrets.token_hex(8)
        if not (media_root() / folder / f"{stem}.{extension}").exists():
            return stem


def _store(relative, data, written):
    path = media_root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, data)
    written.append(relative)


def _write_atomically(path, data):
    """Write data so that path appears whole or not at all."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes the file private; the web server serving media must read it.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


event.listen(Session, "after_commit", _forget_committed_files)
event.listen(Session, "after_soft_rollback", _remove_rolled_back_files)


def _remove(relative_paths):
    root = media_root()
    for relative in relative_paths:
        with contextlib.suppress(FileNotFoundError):
            (root / relative).unlink()


def media_root():
    """Return the folder stored files live under (MEDIA_ROOT)."""
    return Path(current_app.config["MEDIA_ROOT"]).absolute()


def _source_name(source):
    name = source if isinstance(source, str | os.PathLike) else getattr(source, "name", None)
    return Path(name).name if isinstance(name, str | os.PathLike) else None


def _is_local(url):
    return url.startswith("/") and not url.startswith("//")

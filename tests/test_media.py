"""Images: verification, storage, thumbnails, sizes, URLs and the development media route."""

import io
import re
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image as PILImage
from PIL import ImageCms, ImageFile

from portfolio_app import create_app, media
from portfolio_app.extensions import db
from portfolio_app.media import (
    ImageRejected,
    human_readable_size,
    ingest_image,
    media_url_prefix,
    prefixed_media_url,
)
from portfolio_app.models import Image, Thumbnail
from tests.images import (
    ORIENTATION_TAG,
    with_left_band,
    write_animated_gif,
    write_cmyk_jpeg,
    write_image,
    write_jpeg,
    write_mpo,
    write_noisy_jpeg,
    write_palette_gif,
    write_png,
    write_png_bomb,
    write_png_rgba,
)

EDGES = [64, 128, 512, 1080]
RED, BLUE = (255, 0, 0), (0, 0, 255)


def media_url(stored_path, host_url):
    """The absolute URL of a stored file, as the link schemas build it."""
    return prefixed_media_url(media_url_prefix(host_url), stored_path)


def media_root(app):
    return Path(app.config["MEDIA_ROOT"])


def stored_files(app):
    """Every file under the media root, as paths relative to it."""
    root = media_root(app)
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def opened(app, stored_path):
    """The stored file, opened and loaded with Pillow."""
    picture = PILImage.open(media_root(app) / stored_path)
    picture.load()
    return picture


def thumbnails_of(app, image):
    """The four thumbnail files of image, opened, by edge."""
    return {thumbnail.size: opened(app, thumbnail.file) for thumbnail in image.thumbnails}


def close_to(actual, expected, tolerance=12):
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def rejection(app, source, **config):
    """Ingest source expecting ImageRejected; return its message."""
    app.config.update(config)
    with app.app_context(), pytest.raises(ImageRejected) as caught:
        ingest_image(source)
    return str(caught.value)


# Stored originals and paths


def test_stored_original_is_the_uploaded_bytes_under_a_random_name(app, tmp_path):
    path = write_jpeg(tmp_path / "holiday.jpg", size=(80, 60))
    before = datetime.now(UTC).date()
    with app.app_context():
        image = ingest_image(path)
        after = datetime.now(UTC).date()

        match = re.fullmatch(r"core_media/(\d{4}/\d{2}/\d{2})/([0-9a-f]{16})\.jpg", image.file)
        assert match, image.file
        assert match[1] in {before.strftime("%Y/%m/%d"), after.strftime("%Y/%m/%d")}
        assert (media_root(app) / image.file).read_bytes() == path.read_bytes()
        assert image.size == path.stat().st_size
        assert (image.name, image.width, image.height, image.mode) == ("holiday.jpg", 80, 60, "RGB")


def test_thumbnail_paths_follow_the_spec_and_sit_beside_the_original(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_jpeg(tmp_path / "a.jpg"))
        folder, stem = image.file.rsplit("/", 1)[0], Path(image.file).stem

        assert [thumbnail.size for thumbnail in image.thumbnails] == EDGES
        assert [thumbnail.file for thumbnail in image.thumbnails] == [
            f"{folder}/thumbnails/{stem}_thumbnail_{edge}x{edge}.jpg" for edge in EDGES
        ]
        assert stored_files(app) == {image.file} | {t.file for t in image.thumbnails}


def test_two_ingests_of_one_file_get_different_names(app, tmp_path):
    path = write_jpeg(tmp_path / "a.jpg")
    with app.app_context():
        assert ingest_image(path).file != ingest_image(path).file


def test_image_is_added_to_the_session_but_not_committed(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_jpeg(tmp_path / "a.jpg"))
        assert image in db.session.new
        db.session.rollback()
        assert db.session.scalars(db.select(Image)).all() == []


def test_committed_image_has_its_four_thumbnails(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_jpeg(tmp_path / "a.jpg"))
        db.session.commit()
        image_id = image.id
    with app.app_context():
        stored = db.session.get(Image, image_id)
        assert [thumbnail.size for thumbnail in stored.thumbnails] == EDGES
        assert db.session.scalar(db.select(db.func.count()).select_from(Thumbnail)) == 4


@pytest.mark.parametrize(
    "name", ["عکس پروفایل ۱.jpg", "фото отпуска.jpg", "写真.jpg", "émoji 📷.jpg"]
)
def test_original_name_is_kept_in_any_script(app, tmp_path, name):
    with app.app_context():
        image = ingest_image(write_jpeg(tmp_path / "upload.jpg"), original_name=name)
        db.session.commit()
        assert db.session.scalars(db.select(Image.name)).one() == name
        assert name not in image.file  # the stored name is the server's own


def test_name_defaults_to_the_file_name_of_a_path(app, tmp_path):
    with app.app_context():
        assert ingest_image(str(write_jpeg(tmp_path / "گل سرخ.jpg"))).name == "گل سرخ.jpg"


def test_file_objects_are_accepted(app, tmp_path):
    path = write_png(tmp_path / "logo.png")
    with app.app_context(), path.open("rb") as file:
        image = ingest_image(file)
        assert image.name == "logo.png"
        assert (media_root(app) / image.file).read_bytes() == path.read_bytes()


def test_unnamed_stream_is_named_after_its_stored_file(app, tmp_path):
    data = write_png(tmp_path / "logo.png").read_bytes()
    with app.app_context():
        image = ingest_image(io.BytesIO(data))
        assert image.name == Path(image.file).name
        assert image.file.endswith(".png")


def test_null_character_in_the_name_is_rejected(app, tmp_path):
    with app.app_context(), pytest.raises(ImageRejected, match="null"):
        ingest_image(write_jpeg(tmp_path / "a.jpg"), original_name="a\x00.jpg")
    assert stored_files(app) == set()


# Thumbnails


def test_exif_orientation_is_applied_to_thumbnails_and_dimensions(app, tmp_path):
    # Stored 300x200 with a red band down the left; orientation 6 shows it turned clockwise,
    # 200x300, the red band along the top. The centre square keeps the band's lower half.
    picture = with_left_band((300, 200), band_width=100, band_color="red", color="blue")
    path = write_jpeg(tmp_path / "phone.jpg", image=picture, exif_orientation=6)
    with app.app_context():
        image = ingest_image(path)
        assert (image.width, image.height) == (200, 300)
        for edge, thumbnail in thumbnails_of(app, image).items():
            assert thumbnail.size == (edge, edge)
            assert close_to(thumbnail.getpixel((edge - 1, 0)), RED)  # top right
            assert close_to(thumbnail.getpixel((0, edge - 1)), BLUE)  # bottom left
            assert ORIENTATION_TAG not in thumbnail.getexif()  # else viewers turn it again


def test_unrotated_jpeg_keeps_its_layout(app, tmp_path):
    picture = with_left_band((300, 200), band_width=100, band_color="red", color="blue")
    with app.app_context():
        image = ingest_image(write_jpeg(tmp_path / "a.jpg", image=picture))
        assert (image.width, image.height) == (300, 200)
        thumbnail = thumbnails_of(app, image)[64]
        assert close_to(thumbnail.getpixel((0, 63)), RED)
        assert close_to(thumbnail.getpixel((63, 0)), BLUE)


def test_tiny_image_gets_all_four_thumbnails_at_exact_sizes(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_png(tmp_path / "dot.png", size=(1, 1), color="red"))
        thumbnails = thumbnails_of(app, image)
        assert sorted(thumbnails) == EDGES
        for edge, thumbnail in thumbnails.items():
            assert thumbnail.size == (edge, edge)
            assert close_to(thumbnail.getpixel((edge // 2, edge // 2)), RED)


def test_thumbnails_are_centre_cropped_squares(app, tmp_path):
    # A wide image: red on the left fifth only, so a centred square shows no red at all.
    picture = with_left_band((500, 100), band_width=100, band_color="red", color="blue")
    with app.app_context():
        image = ingest_image(write_jpeg(tmp_path / "wide.jpg", image=picture))
        for edge, thumbnail in thumbnails_of(app, image).items():
            assert thumbnail.size == (edge, edge)
            assert close_to(thumbnail.getpixel((0, 0)), BLUE)


def test_png_with_alpha_gets_png_thumbnails_that_keep_it(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_png_rgba(tmp_path / "a.png", alpha=128))
        assert image.mode == "RGBA"
        for thumbnail in image.thumbnails:
            assert thumbnail.file.endswith(".png")
            picture = opened(app, thumbnail.file)
            assert (picture.format, picture.mode) == ("PNG", "RGBA")
            assert close_to(picture.getpixel((10, 10)), (*RED, 128), tolerance=2)


def test_png_whose_alpha_is_all_opaque_gets_jpeg_thumbnails(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_png_rgba(tmp_path / "a.png", alpha=255))
        assert image.mode == "RGBA"
        assert {opened(app, t.file).format for t in image.thumbnails} == {"JPEG"}


def test_opaque_png_gets_jpeg_thumbnails(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_png(tmp_path / "a.png", color="red"))
        assert image.file.endswith(".png")
        for thumbnail in image.thumbnails:
            picture = opened(app, thumbnail.file)
            assert thumbnail.file.endswith(".jpg")
            assert (picture.format, picture.mode) == ("JPEG", "RGB")
            assert close_to(picture.getpixel((5, 5)), RED)


def test_cmyk_jpeg_is_recorded_as_cmyk_with_rgb_thumbnails(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_cmyk_jpeg(tmp_path / "print.jpg", color=(0, 255, 255, 0)))
        assert image.mode == "CMYK"
        for thumbnail in image.thumbnails:
            picture = opened(app, thumbnail.file)
            assert (picture.format, picture.mode) == ("JPEG", "RGB")
            assert close_to(picture.getpixel((5, 5)), RED)


def test_palette_gif_gets_jpeg_thumbnails(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_palette_gif(tmp_path / "a.gif"))
        assert (image.mode, image.file[-4:]) == ("P", ".gif")
        for thumbnail in image.thumbnails:
            picture = opened(app, thumbnail.file)
            assert (picture.format, picture.mode) == ("JPEG", "RGB")
            assert close_to(picture.getpixel((5, 5)), RED)


def test_palette_gif_with_transparency_gets_png_thumbnails(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_palette_gif(tmp_path / "a.gif", size=(64, 64), transparent=True))
        for edge, picture in thumbnails_of(app, image).items():
            assert (picture.format, picture.mode) == ("PNG", "RGBA")
            assert picture.getpixel((0, 0))[3] == 0  # the transparent left half
            assert picture.getpixel((edge - 1, 0)) == (*RED, 255)


def test_animated_gif_thumbnails_show_the_first_frame(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_animated_gif(tmp_path / "a.gif", colors=("red", "blue")))
        assert image.file.endswith(".gif")
        for picture in thumbnails_of(app, image).values():
            assert close_to(picture.getpixel((5, 5)), RED)


def test_multi_picture_jpeg_from_a_phone_is_stored_as_jpeg(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_mpo(tmp_path / "a.jpg", colors=("red", "blue")))
        assert image.file.endswith(".jpg")
        assert close_to(thumbnails_of(app, image)[64].getpixel((5, 5)), RED)


@pytest.mark.parametrize(
    ("mode", "color", "thumbnail_format", "pixel"),
    [
        ("L", 200, "JPEG", (200, 200, 200)),
        ("1", 1, "JPEG", (255, 255, 255)),
        ("LA", (200, 255), "JPEG", (200, 200, 200)),
        ("LA", (200, 100), "PNG", (200, 200, 200, 100)),
        # 16-bit grey at half scale is mid grey, not the white a plain conversion gives.
        ("I;16", 32768, "JPEG", (128, 128, 128)),
    ],
)
def test_every_png_mode_gets_thumbnails(app, tmp_path, mode, color, thumbnail_format, pixel):
    with app.app_context():
        image = ingest_image(write_png(tmp_path / "a.png", mode=mode, color=color))
        assert image.mode == mode
        for picture in thumbnails_of(app, image).values():
            assert picture.format == thumbnail_format
            assert close_to(picture.getpixel((5, 5)), pixel, tolerance=3)


@pytest.mark.parametrize(
    ("mode", "color", "thumbnail_format"),
    [("RGB", "red", "JPEG"), ("RGBA", (255, 0, 0, 100), "PNG")],
)
def test_webp_is_accepted(app, tmp_path, mode, color, thumbnail_format):
    with app.app_context():
        image = ingest_image(write_image(tmp_path / "a.webp", "WEBP", mode=mode, color=color))
        assert (image.mode, image.file[-5:]) == (mode, ".webp")
        assert {opened(app, t.file).format for t in image.thumbnails} == {thumbnail_format}


def test_rgb_colour_profile_is_kept_on_thumbnails(app, tmp_path):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    with app.app_context():
        image = ingest_image(write_jpeg(tmp_path / "a.jpg", icc_profile=profile))
        for picture in thumbnails_of(app, image).values():
            assert picture.info.get("icc_profile") == profile


# Rejected files


def test_text_file_named_jpg_is_rejected(app, tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture\n")
    assert rejection(app, path) == media.NOT_AN_IMAGE
    assert stored_files(app) == set()


@pytest.mark.parametrize("image_format", ["BMP", "TIFF", "ICO", "PPM"])
def test_valid_image_in_another_format_is_rejected(app, tmp_path, image_format):
    # Named .png: the format is read from the content, never from the name.
    path = write_image(tmp_path / "a.png", image_format)
    assert rejection(app, path) == media.NOT_AN_IMAGE
    assert stored_files(app) == set()


def test_truncated_jpeg_is_rejected(app, tmp_path):
    path = write_noisy_jpeg(tmp_path / "a.jpg")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert rejection(app, path) == "image is truncated or corrupt"
    assert stored_files(app) == set()


def test_truncated_png_is_rejected(app, tmp_path):
    path = write_png(tmp_path / "a.png", size=(300, 300))
    data = path.read_bytes()
    path.write_bytes(data[:-30])
    assert rejection(app, path) == "image is truncated or corrupt"


def test_png_cut_after_its_picture_data_is_rejected(app, tmp_path):
    # Decoding alone would pass: only verification notices the missing end chunk.
    path = write_png(tmp_path / "a.png", size=(30, 30))
    path.write_bytes(path.read_bytes().removesuffix(b"\0\0\0\0IEND\xaeB`\x82"))
    assert rejection(app, path) == "image is truncated or corrupt"


def test_corrupt_png_checksum_is_rejected(app, tmp_path):
    path = write_png(tmp_path / "a.png", size=(30, 30), color="red")
    data = bytearray(path.read_bytes())
    data[data.index(b"IDAT") + 6] ^= 0xFF  # a byte of picture data, under a now-wrong CRC
    path.write_bytes(bytes(data))
    assert rejection(app, path) == "image is truncated or corrupt"


def test_empty_file_is_rejected(app, tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert rejection(app, path) == media.NOT_AN_IMAGE


def test_missing_file_is_rejected_with_its_path(app, tmp_path):
    message = rejection(app, tmp_path / "nowhere.jpg")
    assert message.startswith(f"cannot read {tmp_path / 'nowhere.jpg'}")


def test_image_over_the_pixel_limit_is_rejected(app, tmp_path):
    path = write_png_bomb(tmp_path / "bomb.png", 8000, 8000)
    assert path.stat().st_size < 100_000  # small file, 64 million pixels
    message = rejection(app, path)
    assert message == "image too large: 64000000 pixels, the limit is 50000000"
    assert stored_files(app) == set()


def test_pixel_limit_comes_from_config(app, tmp_path):
    path = write_png(tmp_path / "a.png", size=(200, 100))
    message = rejection(app, path, IMAGE_MAX_PIXELS=19_999)
    assert message == "image too large: 20000 pixels, the limit is 19999"
    app.config["IMAGE_MAX_PIXELS"] = 20_000
    with app.app_context():
        assert ingest_image(path).width == 200


def test_pixel_limit_is_checked_before_decoding(app, tmp_path, monkeypatch):
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))
    path = write_png_bomb(tmp_path / "bomb.png", 8000, 8000)
    assert rejection(app, path).startswith("image too large")
    assert decoded == []


@pytest.mark.parametrize(
    "size",
    [
        (10_000, 9_000),  # above Pillow's limit: Pillow only warns
        (20_000, 10_000),  # above twice Pillow's limit: Pillow raises
    ],
)
def test_pillows_own_bomb_check_rejects(app, tmp_path, size):
    path = write_png_bomb(tmp_path / "bomb.png", *size)
    message = rejection(app, path, IMAGE_MAX_PIXELS=10**12)
    assert message.startswith("image too large: more than 89478485 pixels")
    assert stored_files(app) == set()


def test_bomb_check_changes_no_global_setting(app, tmp_path):
    filters = list(warnings.filters)
    limit = PILImage.MAX_IMAGE_PIXELS
    rejection(app, write_png_bomb(tmp_path / "bomb.png", 10_000, 9_000), IMAGE_MAX_PIXELS=10**12)
    assert (list(warnings.filters), PILImage.MAX_IMAGE_PIXELS) == (filters, limit)


def test_file_over_the_byte_limit_is_rejected(app, tmp_path):
    path = write_noisy_jpeg(tmp_path / "big.jpg", size=(64, 64))
    size = path.stat().st_size
    message = rejection(app, path, IMAGE_MAX_BYTES=size - 1)
    assert message == (
        f"file too large: {human_readable_size(size)}, the limit is {human_readable_size(size - 1)}"
    )
    assert stored_files(app) == set()
    app.config["IMAGE_MAX_BYTES"] = size
    with app.app_context():
        assert ingest_image(path).size == size


def test_default_byte_limit_reads_in_megabytes(app):
    big = io.BytesIO(b"\0" * (25 * 1024 * 1024))
    assert rejection(app, big) == "file too large: 25.00 MB, the limit is 20.00 MB"


class CountingStream(io.RawIOBase):
    """A stream that cannot seek and counts the bytes handed out."""

    def __init__(self, data):
        self.source = io.BytesIO(data)
        self.handed_out = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        count = self.source.readinto(buffer)
        self.handed_out += count
        return count


def test_oversized_stream_is_not_read_to_its_end(app):
    stream = CountingStream(b"\xff" * 1_000_000)
    message = rejection(app, stream, IMAGE_MAX_BYTES=1000)
    assert message == "file too large: more than 1000 B, the limit is 1000 B"
    assert stream.handed_out <= 1001


def test_rejection_is_a_value_error_and_adds_nothing_to_the_session(app, tmp_path):
    path = tmp_path / "a.jpg"
    path.write_bytes(b"GIF89a not really")
    with app.app_context():
        with pytest.raises(ValueError):
            ingest_image(path)
        assert not db.session.new


def test_failure_while_writing_removes_the_files_already_written(app, tmp_path, monkeypatch):
    real_encode = media._encode
    calls = []

    def encode_until_the_third(*args):
        calls.append(args)
        if len(calls) == 3:
            raise OSError("disk full")
        return real_encode(*args)

    monkeypatch.setattr(media, "_encode", encode_until_the_third)
    with app.app_context():
        with pytest.raises(OSError, match="disk full"):
            ingest_image(write_jpeg(tmp_path / "a.jpg"))
        assert not db.session.new
    assert len(calls) == 3  # the original and two thumbnails were on disk by then
    assert stored_files(app) == set()


def test_delete_image_files_removes_original_and_thumbnails(app, tmp_path):
    with app.app_context():
        keep = ingest_image(write_jpeg(tmp_path / "a.jpg"))
        image = ingest_image(write_jpeg(tmp_path / "b.jpg"))
        media.delete_image_files(image)
        assert stored_files(app) == {keep.file} | {t.file for t in keep.thumbnails}


# Human-readable sizes


@pytest.mark.parametrize(
    ("num_bytes", "text"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (512, "512 B"),
        (1023, "1023 B"),
        (1024, "1.00 KB"),
        (808754, "789.80 KB"),
        (1024**2 - 1, "1.00 MB"),
        (1024**2, "1.00 MB"),
        (int(1024**3 * 1.5), "1.50 GB"),
        (1024**4, "1.00 TB"),
        (1024**5 * 3, "3072.00 TB"),
    ],
)
def test_human_readable_size(num_bytes, text):
    assert human_readable_size(num_bytes) == text


# URLs


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("/media/", "http://localhost:5000/media/core_media/2024/01/02/ab.jpg"),
        ("/files", "http://localhost:5000/files/core_media/2024/01/02/ab.jpg"),
        ("https://cdn.example.com/m/", "https://cdn.example.com/m/core_media/2024/01/02/ab.jpg"),
        ("https://cdn.example.com/m", "https://cdn.example.com/m/core_media/2024/01/02/ab.jpg"),
        ("//cdn.example.com/m/", "http://cdn.example.com/m/core_media/2024/01/02/ab.jpg"),
    ],
)
def test_media_url_joins_the_configured_media_url(app, configured, expected):
    app.config["MEDIA_URL"] = configured
    with app.app_context():
        assert media_url("core_media/2024/01/02/ab.jpg", "http://localhost:5000/") == expected


def test_media_url_quotes_each_path_segment(app):
    with app.app_context():
        url = media_url("core_media/a b/ü#?&.jpg", "https://example.com/")
    assert url == "https://example.com/media/core_media/a%20b/%C3%BC%23%3F%26.jpg"


# The development media route


def test_media_route_serves_a_stored_file(app, client, tmp_path):
    with app.app_context():
        image = ingest_image(write_jpeg(tmp_path / "a.jpg"))
        db.session.commit()
        url = media_url(image.file, "http://localhost/")
        thumbnail_url = media_url(image.thumbnails[0].file, "http://localhost/")
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == (media_root(app) / image.file).read_bytes()
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(thumbnail_url).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/media/../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/core_media/../../secret.txt",
        "/media/%2Fetc%2Fpasswd",
        "/media/missing.jpg",
        "/media/core_media",
        "/media/.upload.part",
    ],
)
def test_media_route_refuses_what_is_not_a_stored_file(app, client, path):
    root = media_root(app)
    root.mkdir(parents=True, exist_ok=True)
    (root.parent / "secret.txt").write_text("secret")
    (root / "core_media").mkdir()
    (root / ".upload.part").write_bytes(b"half written")
    response = client.get(path)
    assert response.status_code == 404
    assert b"secret" not in response.data
    assert b"half written" not in response.data


def other_app(app, **config):
    """A second app on the same database and media root, with config changed."""
    settings = {key: app.config[key] for key in ("DATABASE_URL", "MEDIA_ROOT", "SECRET_KEY")}
    return create_app({"TESTING": True, **settings, **config})


@pytest.mark.parametrize(
    "config", [{"SERVE_MEDIA": False}, {"MEDIA_URL": "https://cdn.example.com/media/"}]
)
def test_media_route_is_off_when_media_is_served_elsewhere(app, tmp_path, config):
    with app.app_context():
        image = ingest_image(write_jpeg(tmp_path / "a.jpg"))
    elsewhere = other_app(app, **config)
    try:
        assert "media" not in elsewhere.view_functions
        assert elsewhere.test_client().get(f"/media/{image.file}").status_code == 404
    finally:
        with elsewhere.app_context():
            db.engine.dispose()


def test_media_route_follows_a_relative_media_url(app, tmp_path):
    with app.app_context():
        stored = ingest_image(write_jpeg(tmp_path / "a.jpg")).file
        db.session.commit()
    elsewhere = other_app(app, MEDIA_URL="/uploads/")
    try:
        client = elsewhere.test_client()
        assert client.get(f"/uploads/{stored}").status_code == 200
        assert client.get(f"/media/{stored}").status_code == 404
    finally:
        with elsewhere.app_context():
            db.engine.dispose()


def test_unreadable_exif_leaves_the_image_unrotated(app, tmp_path, monkeypatch):
    def broken_exif(picture, in_place=False):
        raise SyntaxError("not a TIFF file")

    monkeypatch.setattr(media.ImageOps, "exif_transpose", broken_exif)
    with app.app_context():
        image = ingest_image(write_jpeg(tmp_path / "a.jpg", size=(30, 20), exif_orientation=6))
        assert (image.width, image.height) == (30, 20)
        assert len(image.thumbnails) == 4


# Files of writes that never commit


def test_stored_files_stay_once_the_transaction_commits(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_jpeg(tmp_path / "a.jpg"))
        db.session.commit()
        paths = [image.file, *(thumbnail.file for thumbnail in image.thumbnails)]
    assert all((media_root(app) / path).is_file() for path in paths)


def test_stored_files_go_when_the_transaction_rolls_back(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_jpeg(tmp_path / "a.jpg"))
        paths = [image.file, *(thumbnail.file for thumbnail in image.thumbnails)]
        assert all((media_root(app) / path).is_file() for path in paths)
        db.session.rollback()
        assert not any((media_root(app) / path).exists() for path in paths)
        # A later commit in the same session must not bring them back or keep others.
        db.session.commit()
    assert not any((media_root(app) / path).exists() for path in paths)


def test_stored_files_go_when_the_context_ends_without_a_commit(app, tmp_path):
    with app.app_context():
        image = ingest_image(write_jpeg(tmp_path / "a.jpg"))
        paths = [image.file, *(thumbnail.file for thumbnail in image.thumbnails)]
    assert len(paths) == 5
    assert not any((media_root(app) / path).exists() for path in paths)


def test_check_image_stores_nothing(app, tmp_path):
    with app.app_context():
        checked = media.check_image(write_jpeg(tmp_path / "a.jpg", size=(30, 20)))
        assert (checked.format, checked.mode, checked.name) == ("JPEG", "RGB", "a.jpg")
        assert db.session.scalar(db.select(db.func.count()).select_from(Image)) == 0
    assert not media_root(app).exists() or not any(media_root(app).rglob("*.jpg"))

"""Real image files for tests, written with Pillow; each helper returns the path it wrote."""

import struct
import zlib
from pathlib import Path

from PIL import Image

ORIENTATION_TAG = 0x0112
PALETTE = [0, 0, 0, 255, 0, 0, 0, 0, 255]  # index 0 black, 1 red, 2 blue


def with_left_band(size, band_width, band_color="red", color="blue"):
    """Return an RGB image of color with a band_width-wide band of band_color on its left."""
    image = Image.new("RGB", size, color)
    image.paste(band_color, (0, 0, band_width, size[1]))
    return image


def write_jpeg(
    path,
    size=(64, 48),
    exif_orientation=None,
    mode="RGB",
    color="blue",
    *,
    image=None,
    icc_profile=None,
):
    """Write a JPEG of one colour (or of image), with an EXIF orientation if given."""
    image = image or Image.new(mode, size, color)
    options = {"quality": 95}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[ORIENTATION_TAG] = exif_orientation
        options["exif"] = exif
    if icc_profile is not None:
        options["icc_profile"] = icc_profile
    image.save(path, "JPEG", **options)
    return Path(path)


def write_cmyk_jpeg(path, size=(64, 48), color=(0, 255, 255, 0)):
    """Write a CMYK JPEG; the default colour is red once converted to RGB."""
    return write_jpeg(path, size, mode="CMYK", color=color)


def write_noisy_jpeg(path, size=(256, 256)):
    """Write a JPEG full of detail, so that cutting it short breaks the picture data."""
    Image.effect_noise(size, 64).convert("RGB").save(path, "JPEG", quality=95)
    return Path(path)


def write_png(path, size=(64, 48), mode="RGB", color="blue"):
    """Write a PNG of one colour in any mode Pillow writes to PNG (RGB, L, LA, 1, I;16, ...)."""
    Image.new(mode, size, color).save(path, "PNG")
    return Path(path)


def write_png_rgba(path, size=(64, 48), color=(255, 0, 0), alpha=128):
    """Write an RGBA PNG of one colour, every pixel at the given alpha."""
    return write_png(path, size, mode="RGBA", color=(*color, alpha))


def write_palette_gif(path, size=(64, 48), transparent=False):
    """Write a palette GIF, red; with transparent=True its left half is see-through."""
    image = Image.new("P", size, 1)
    image.putpalette(PALETTE)
    options = {}
    if transparent:
        image.paste(0, (0, 0, size[0] // 2, size[1]))
        options["transparency"] = 0
    image.save(path, "GIF", **options)
    return Path(path)


def write_animated_gif(path, size=(64, 48), colors=("red", "lime", "blue")):
    """Write an animated GIF, one frame per colour."""
    frames = [Image.new("RGB", size, color) for color in colors]
    frames[0].save(path, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return Path(path)


def write_mpo(path, size=(64, 48), colors=("red", "blue")):
    """Write a multi-picture JPEG (MPO), as phone cameras do."""
    frames = [Image.new("RGB", size, color) for color in colors]
    frames[0].save(path, "MPO", save_all=True, append_images=frames[1:])
    return Path(path)


def write_image(path, image_format, size=(64, 48), mode="RGB", color="blue"):
    """Write an image of one colour in any format Pillow writes (WEBP, BMP, TIFF, ...)."""
    options = {"lossless": True} if image_format == "WEBP" else {}
    Image.new(mode, size, color).save(path, image_format, **options)
    return Path(path)


def write_png_bomb(path, width, height):
    """Write a valid black greyscale PNG of width x height: a few KB that decode to a lot."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # a filter byte, then one byte per pixel
    picture = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    Path(path).write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", picture)
        + _png_chunk(b"IEND", b"")
    )
    return Path(path)


def _png_chunk(kind, body):
    checksum = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", checksum)

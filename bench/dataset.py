"""The benchmark's links: portfolios of generated links as JSON Lines, with real images.

One big portfolio holds 95% of the links; the rest go to a few small ones, the last of which
has exactly SMALL_PORTFOLIO_SIZE links. Names mix English and Persian words, 70% of links have
a url (a tenth of those on github.com), two in every five name one of a handful of real image
files (so the import stores each file once and many links share it), and timestamps spread
over two years.
"""

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from PIL import Image as PILImage

BIG_SHARE = 0.95
SMALL_PORTFOLIO_SIZE = 10
MEDIUM_PORTFOLIOS = 3
# Two links in every five have an image: 40% in every portfolio, the 10-link one too.
IMAGE_EVERY_FIVE = (1, 3)
URL_SHARE = 0.7
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 86400

ENGLISH = (
    "portfolio", "notes", "photo", "essay", "talk", "slides", "project", "map", "recipe",
    "design", "resume", "blog", "video", "paper", "demo", "library", "course", "sketch",
    "interview", "review", "thesis", "poster", "album", "GitHub",
)  # fmt: skip
# "کتاب" (book) is the Persian word the search_fa scenario looks for; گیت‌هاب has a ZWNJ.
PERSIAN = (
    "گیت\u200cهاب", "پیک", "موتوری", "یادداشت", "سفر", "کتاب", "نقشه", "عکاسی", "پادکست",
    "طراحی", "رزومه", "وبلاگ", "ویدیو", "مقاله", "نمایش", "کتابخانه", "دوره", "طرح",
    "گفتگو", "نقد", "پایان\u200cنامه", "پوستر", "آلبوم", "تهران",
)  # fmt: skip
HOSTS = (
    ("github.com", 10), ("gitlab.com", 8), ("linkedin.com", 12), ("example.com", 20),
    ("medium.com", 10), ("dribbble.com", 8), ("youtube.com", 12), ("virgool.io", 10),
)  # fmt: skip
# Z, offsets and naive (UTC) timestamps, as exports from other systems write them.
ZONES = (UTC, timezone(timedelta(hours=3, minutes=30)), timezone(timedelta(hours=-5)), None)
# A handful of real files, of the formats and modes the service accepts.
IMAGE_SPECS = (
    ("avatar.png", (96, 96), "RGBA"),
    ("cover.jpg", (640, 360), "RGB"),
    ("logo.png", (128, 64), "P"),
    ("photo.webp", (400, 300), "RGB"),
    ("عکس پروفایل.jpg", (300, 300), "RGB"),
    ("banner.gif", (468, 60), "P"),
    ("screenshot.png", (800, 500), "RGB"),
    ("scan.jpg", (200, 280), "L"),
)


@dataclass(frozen=True)
class PortfolioFile:
    """One portfolio's links, written as JSON Lines at path."""

    name: str
    path: Path
    size: int


def portfolio_sizes(count):
    """Return the number of links of each portfolio: big first, the 10-link one last."""
    big = round(count * BIG_SHARE)
    rest = count - big - SMALL_PORTFOLIO_SIZE
    if rest < 0:
        raise ValueError(f"{count} links are too few for the benchmark's portfolios")
    medium = [rest // MEDIUM_PORTFOLIOS] * MEDIUM_PORTFOLIOS
    medium[0] += rest - sum(medium)
    return [big, *medium, SMALL_PORTFOLIO_SIZE]


def write_dataset(folder, count, seed=42):
    """Write the images and one JSON Lines file per portfolio; return the PortfolioFiles."""
    folder.mkdir(parents=True, exist_ok=True)
    images = write_images(folder / "images")
    rng = random.Random(seed)
    files = []
    for number, size in enumerate(portfolio_sizes(count), start=1):
        path = write_portfolio(folder / f"portfolio-{number}.jsonl", size, images, rng)
        files.append(PortfolioFile(f"Bench {number}", path, size))
    return files


def write_portfolio(path, size, images, rng=None):
    """Write size links as JSON Lines at path, naming images by paths relative to it."""
    rng = rng or random.Random(42)
    with path.open("w", encoding="utf-8") as file:
        for index in range(size):
            link = random_link(rng, index, images, path.parent)
            file.write(json.dumps(link, ensure_ascii=False) + "\n")
    return path


def write_images(folder):
    """Write the small image files links point at; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (name, size, mode) in enumerate(IMAGE_SPECS):
        picture = PILImage.new("RGB", size, (40 * index % 256, 90, 160))
        picture = picture.convert(mode)
        path = folder / name
        picture.save(path)
        paths.append(path)
    return paths


def random_link(rng, index, images, folder):
    """Return one link object: a name in either script, maybe a url, image, description."""
    words = rng.sample(PERSIAN if rng.random() < 0.5 else ENGLISH, 3)
    created = START + timedelta(
        seconds=rng.randrange(SPAN_SECONDS), microseconds=rng.randrange(10**6)
    )
    link = {
        "kind": "link",
        "name": f"{' '.join(words)} {index}",
        "url": random_url(rng, index, words) if rng.random() < URL_SHARE else None,
        "description": rng.choice([None, "", " ".join(rng.choices(ENGLISH + PERSIAN, k=12))]),
        "order": rng.choices((0, 1, 2, 3, -1), weights=(80, 8, 5, 4, 3))[0],
        "created_at": iso(created, rng.choice(ZONES)),
    }
    if rng.random() < 0.5:
        updated = created + timedelta(seconds=rng.randrange(60 * 86400))
        link["updated_at"] = iso(updated, rng.choice(ZONES))
    if index % 5 in IMAGE_EVERY_FIVE:
        link["image"] = str(rng.choice(images).relative_to(folder))
    return link


def random_url(rng, index, words):
    """Return a url on one of HOSTS, weighted as links in real portfolios are."""
    hosts, weights = zip(*HOSTS, strict=True)
    host = rng.choices(hosts, weights=weights)[0]
    slug = words[0] if words[0].isascii() else "fa"
    return f"https://{host}/user{index % 997}/{slug}-{index}"


def iso(moment, zone):
    """Return moment in ISO 8601: in zone (Z for UTC), or naive UTC when zone is None."""
    if zone is None:
        return moment.replace(tzinfo=None).isoformat()
    return moment.astimezone(zone).isoformat().replace("+00:00", "Z")

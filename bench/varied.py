"""Varied requests: thousands of distinct ones, so that no cache keyed by the request helps.

Searches are drawn from the dataset's own words (its names and urls): common words and pieces
of them, rare ones (a url's user, a link's number), pairs; some ordered by name, some at an
offset. Date windows of every length on either timestamp, with presence flags and orderings.
Flag combinations with id windows. Each generator gives requests whose *filters* differ
(not only their offset or ordering), since the count is remembered per filters: a cold
request is one whose count no worker has seen.

A request is a line "METHOD<TAB>PATH<TAB>BODY" of a file that bench/wrk_report.lua replays.
"""

import json
import random
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

ORDERINGS = ("name", "-name", "created_at", "-created_at", "updated_at", "-updated_at", "id", "-id")
OFFSETS = (0, 0, 0, 0, 10, 20, 50, 100, 500)
FLAGS = ("has_image", "has_url", "has_description")
FIRST_DAY, DAYS = date(2024, 1, 1), 2 * 365
WINDOWS = (1, 3, 7, 14, 30, 90, 180, 365)
MIN_PIECE = 3  # shorter terms cannot use the trigram indexes


def vocabulary(jsonl_path, sample=20_000):
    """Return (common, rare) search terms found in the first links of a JSON Lines file."""
    words, users = Counter(), set()
    numbers = []
    with Path(jsonl_path).open(encoding="utf-8") as file:
        for index, line in enumerate(file):
            if index >= sample:
                break
            link = json.loads(line)
            *name_words, number = link["name"].split()
            words.update(w.lower() for w in name_words)
            numbers.append(number)
            if link.get("url"):
                host = link["url"].split("/")[2]
                words[host.split(".")[0]] += 1
                users.add(re.search(r"/(user\d+)/", link["url"]).group(1))
    common = set()
    for word in words:
        # The word and every piece of it: "portfolio", "port", "olio", "tfol"...
        for start in range(len(word)):
            for end in range(start + MIN_PIECE, len(word) + 1):
                piece = word[start:end]
                if "\u200c" not in piece and " " not in piece:
                    common.add(piece)
    rare = sorted(u for u in users if len(u) >= 7) + [n for n in numbers if len(n) >= 4]
    return sorted(common), rare


def search_requests(base, jsonl_path, count, seed=1):
    """Return count GET paths of distinct searches: common, rare, pairs; orderings, offsets."""
    rng = random.Random(seed)
    common, rare = vocabulary(jsonl_path)

    def term():
        return rng.choice(common) if rng.random() < 0.6 else rng.choice(rare)

    def terms():
        kind = rng.random()
        if kind < 0.4:
            return [rng.choice(common)]
        if kind < 0.6:
            return [rng.choice(rare)]
        return [term(), term()]

    def params(search):
        chosen = {"search": " ".join(search)}
        if rng.random() < 0.3:
            chosen["ordering"] = "name"
        offset = rng.choice(OFFSETS)
        if offset:
            chosen["offset"] = offset
        return chosen

    return _distinct(base, count, lambda: tuple(sorted(terms())), params, rng)


def date_requests(base, count, seed=2):
    """Return count GET paths of distinct date windows with presence flags and orderings."""
    rng = random.Random(seed)

    def filters():
        column = rng.choice(("created", "updated"))
        start = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        end = start + timedelta(days=rng.choice(WINDOWS) - 1)
        chosen = [(f"{column}_from", start.isoformat()), (f"{column}_to", end.isoformat())]
        for flag in FLAGS:
            if rng.random() < 0.4:
                chosen.append((flag, rng.choice(("true", "false"))))
        return tuple(chosen)

    def params(filters):
        chosen = dict(filters)
        if rng.random() < 0.7:
            chosen["ordering"] = rng.choice(ORDERINGS)
        offset = rng.choice(OFFSETS)
        if offset:
            chosen["offset"] = offset
        return chosen

    return _distinct(base, count, filters, params, rng)


def flag_requests(base, id_range, count, seed=3):
    """Return count GET paths of distinct presence flags and id windows, ordered variously."""
    rng = random.Random(seed)
    low, high = id_range

    def filters():
        chosen = [(flag, rng.choice(("true", "false"))) for flag in FLAGS if rng.random() < 0.6]
        first = rng.randrange(low, high)
        chosen.append(("id_min", str(first)))
        if rng.random() < 0.5:
            chosen.append(("id_max", str(rng.randrange(first, high + 1))))
        return tuple(chosen)

    def params(filters):
        chosen = dict(filters)
        if rng.random() < 0.5:
            chosen["ordering"] = rng.choice(ORDERINGS)
        offset = rng.choice(OFFSETS)
        if offset:
            chosen["offset"] = offset
        return chosen

    return _distinct(base, count, filters, params, rng)


def _distinct(base, count, make_filters, make_params, rng, attempts=50):
    """Return up to count paths whose filters all differ, in random order."""
    seen, paths = set(), []
    misses = 0
    while len(paths) < count and misses < attempts * count:
        filters = make_filters()
        if filters in seen:
            misses += 1
            continue
        seen.add(filters)
        paths.append(f"{base}?{urlencode(make_params(filters))}")
    # The few common single words are drawn out early: shuffled, every run gets its share.
    rng.shuffle(paths)
    return paths


def write_requests(path, requests):
    """Write requests, each (method, path, body or ""), as the lines wrk_report.lua reads."""
    with Path(path).open("w", encoding="utf-8") as file:
        for method, target, body in requests:
            file.write(f"{method}\t{target}\t{body}\n")
    return path


def reads(paths):
    """Return GET requests for paths."""
    return [("GET", path, "") for path in paths]

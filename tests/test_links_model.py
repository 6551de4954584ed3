"""Filters, search, ordering and paging against a pure-Python model of SPEC section 2.

A seeded dataset full of awkward text and timestamps goes into one portfolio (and a few
decoys into another); random queries with several parameters at once must give exactly the
model's count, ids in the model's order, and SPEC's next/previous links.
"""

import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from portfolio_app.extensions import db
from portfolio_app.models import Link, Portfolio
from tests import reference as model

BASE = "http://localhost/api/portfolios/{}/links/"

# Pieces of names: letter variants, digits of three scripts, ZWNJ, tatweel, case that
# changes length (ß), LIKE wildcards and escapes, quotes, compatibility characters.
NAME_PIECES = [
    "GitHub", "github", "GITHUB", "ÉCOLE", "école", "Straße", "STRASSE", "Ünïcödé",
    "كتاب", "کتاب", "علي", "علی", "يك", "یک", "۱۲۳", "١٢٣", "123", "٤٢", "42", "7",
    "می\u200cخواهم", "می خواهم", "مـــحمد", "محمد", "100%", "50%_off", "a_b", "a\\b",
    "C:\\dir", "it's", 'say "hi"', "O'Reilly", "ﬁle", "Ⅻ", "x²", "آب", "اب", "پدر",
    "ژاله", "zebra", "Apple", "apple", "Smith, John", "ıstanbul", "İzmir", "ǅemal",
    "😀 smile", "ｆｕｌｌ", "가나", "a/b", "K",
]  # fmt: skip
URLS = [
    None, "", "   ", "\t", "https://github.com/octo", "https://GitHub.com/Octo",
    "https://example.com/100%25?a_b=1", "http://ex.com/a\\b", "https://فارسی.ir/۱۲۳",
    "https://ex.com/كتاب", "ftp://files.example.org/ÉCOLE", "https://42.example/x",
]  # fmt: skip
DESCRIPTIONS = [None, "", " ", "\t\n", "\u00a0", "\u3000", "text", "توضیح", " x "]
DAYS = [date(2024, 1, 15), date(2024, 2, 29), date(2024, 12, 31), date(2025, 1, 1)]
ZONES = [UTC, timezone(timedelta(hours=3, minutes=30)), timezone(timedelta(hours=-5))]
ZONES += [timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]
FLAG_SPELLINGS = ["true", "True", "TRUE", "1", "yes", "Yes", "on", "ON"]
FLAG_SPELLINGS += ["false", "False", "0", "no", "NO", "off", "Off"]
ORDER_KEYS = ["id", "name", "created_at", "updated_at"]


def timestamp_pool(rng):
    """Timestamps that share days, midnights and last microseconds, plus random ones."""
    pool = []
    for day in DAYS:
        pool.append(datetime.combine(day, time(), UTC))
        pool.append(datetime.combine(day, time(23, 59, 59, 999999), UTC))
        pool.append(datetime.combine(day, time(12), UTC))
        for _ in range(4):
            seconds = rng.randrange(86400)
            pool.append(
                datetime.combine(day, time(), UTC)
                + timedelta(seconds=seconds, microseconds=rng.randrange(10**6))
            )
    return pool


def random_name(rng, names_so_far):
    if names_so_far and rng.random() < 0.15:
        return rng.choice(names_so_far)  # ties in name
    roll = rng.random()
    if roll < 0.02:
        return ""
    if roll < 0.04:
        return "  spaced  "
    return " ".join(rng.sample(NAME_PIECES, rng.choice([1, 1, 2, 2, 3])))


def seed_links(app, make_image, seed, size=200):
    """Insert a portfolio of `size` links and a decoy portfolio; return (portfolio id, rows)."""
    rng = random.Random(seed)
    pool = timestamp_pool(rng)
    images = [
        make_image(name=f"تصویر {n}.png", file=f"core_media/2024/01/15/img{n}.png")
        for n in range(6)
    ]
    with app.app_context():
        mine, other = Portfolio(name="Mine"), Portfolio(name="Other")
        db.session.add_all([mine, other])
        db.session.flush()
        links, names = [], []
        for n in range(size + 12):
            name = random_name(rng, names)
            names.append(name)
            created = rng.choice(pool)
            updated = created if rng.random() < 0.3 else rng.choice(pool)
            # Decoys interleave with the portfolio's ids and match everything the others do.
            portfolio = other if n % 17 == 5 else mine
            links.append(
                Link(
                    portfolio_id=portfolio.id,
                    name=name,
                    url=rng.choice(URLS),
                    description=rng.choice(DESCRIPTIONS),
                    order=rng.choice([0, 0, 0, 1, 1, 2, -1, 5]),
                    created_at=created,
                    updated_at=updated,
                    image_id=rng.choice(images).id if rng.random() < 0.3 else None,
                )
            )
        db.session.add_all(links)
        db.session.flush()
        rows = [
            model.Row(
                id=link.id,
                name=link.name,
                url=link.url,
                description=link.description,
                order=link.order,
                created_at=link.created_at,
                updated_at=link.updated_at,
                image_id=link.image_id,
            )
            for link in links
            if link.portfolio_id == mine.id
        ]
        decoys = {link.id for link in links if link.portfolio_id == other.id}
        portfolio_id = mine.id
        db.session.commit()
    assert decoys and len(rows) >= size - 12
    return portfolio_id, rows


# ---------------------------------------------------------------------------- generators


def _variant(rng, text):
    """Spell text differently but equal under SPEC's normalisation (or just its case)."""
    swaps = [("ی", "ي"), ("ک", "ك"), (" ", "\u200c")]
    swaps += [(str(d), chr(0x06F0 + d)) for d in range(10)]
    swaps += [(str(d), chr(0x0660 + d)) for d in range(10)]
    for plain, other in swaps:
        if plain in text and rng.random() < 0.5:
            text = text.replace(plain, other)
    if rng.random() < 0.3:
        text = text.swapcase()
    if rng.random() < 0.2 and any("\u0620" <= c <= "\u064a" for c in text):
        i = next(i for i, c in enumerate(text) if "\u0620" <= c <= "\u064a")
        text = text[: i + 1] + "ـ" + text[i + 1 :]  # tatweel after an Arabic letter
    return text


def random_term(rng, rows):
    """One search term: a piece of a name or url, a literal, an id, or nothing at all."""
    roll = rng.random()
    if roll < 0.45:
        source = rng.choice(rows).name
    elif roll < 0.55:
        source = rng.choice(rows).url or "github"
    elif roll < 0.7:
        row_id = rng.choice(rows).id
        digits = str(row_id if rng.random() < 0.7 else rng.randrange(1, 60))
        return _variant(rng, digits)
    elif roll < 0.85:
        return rng.choice(["%", "_", "\\", "%_", "100%", "a_b", "a\\b", "50%", "_off"])
    else:
        return rng.choice(["ECOLE", "strasse", "STRASSE", "github", "zzz", "ﬁ", "xii", "2"])
    if not source.strip():
        return "github"
    start = rng.randrange(len(source))
    piece = source[start : start + rng.randint(1, 7)]
    return _variant(rng, piece)


def random_search(rng, rows):
    """Up to four terms, some quoted phrases, joined by spaces and commas."""
    tokens, apostrophes = [], 0
    for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
        term = random_term(rng, rows)
        if '"' in term or not term.strip():
            continue
        quoted = any(c.isspace() or c == "," for c in term) or rng.random() < 0.1
        if quoted and ("'" in term or "\\" in term):
            continue
        if "'" in term:
            # One apostrophe at most, never opening a token: DRF's splitter would pair it.
            if apostrophes or term.lstrip(",").startswith("'"):
                continue
            apostrophes += 1
        tokens.append((f'"{term}"' if quoted else term, quoted))
    text = ""
    for i, (token, quoted) in enumerate(tokens):
        if i:
            after_phrase = quoted or tokens[i - 1][1]
            text += " " if after_phrase else rng.choice([" ", ",", ", ", "  "])
        text += token
    return text


def random_moment(rng, pool, *, allow_date=True):
    """A date or a date/time in a random zone and precision, near a stored timestamp."""
    moment = rng.choice(pool) + rng.choice(
        [timedelta(0)] * 4 + [timedelta(microseconds=1), -timedelta(microseconds=1)]
    )
    if allow_date and rng.random() < 0.35:
        return (moment.date() + timedelta(days=rng.choice([0, 0, -1, 1]))).isoformat()
    zone = rng.choice(ZONES)
    local = moment.astimezone(zone)
    text = local.strftime("%Y-%m-%dT%H:%M")
    text += (
        rng.choice(["", ":%S", ":%S.%f", ":%S.%f", ":%S.ms"])
        .replace("%S", f"{local.second:02d}")
        .replace("%f", f"{local.microsecond:06d}")
        .replace("ms", f"{local.microsecond // 1000:03d}")
    )
    offset = zone.utcoffset(None)
    if offset == timedelta(0):
        return text + rng.choice(["", "Z", "+00:00"])
    sign = "-" if offset < timedelta(0) else rng.choice(["+", " "])  # " " is a decoded "+"
    hours, minutes = divmod(abs(offset) // timedelta(minutes=1), 60)
    forms = [f"{hours:02d}:{minutes:02d}", f"{hours:02d}{minutes:02d}"]
    if not minutes:
        forms.append(f"{hours:02d}")
    return text + sign + rng.choice(forms)


def random_params(rng, rows, pool):
    """A query string of several parameters; now and then one of them invalid."""
    ids = [row.id for row in rows]
    makers = {
        "search": lambda: random_search(rng, rows),
        "ordering": lambda: (
            ",".join(
                rng.choice(["", "-"]) + key for key in rng.sample(ORDER_KEYS, rng.randint(1, 3))
            )
            if rng.random() > 0.03
            else "name,colour"
        ),
        "id_min": lambda: (
            str(rng.randint(min(ids) - 2, max(ids) + 2)) if rng.random() > 0.03 else "1.5"
        ),
        "id_max": lambda: (
            str(rng.randint(min(ids) - 2, max(ids) + 2)) if rng.random() > 0.03 else "1e1"
        ),
        "created_date": lambda: (
            rng.choice(DAYS).isoformat()
            if rng.random() > 0.05
            else rng.choice(["2024-02-30", "2024-1-15", "15/01/2024", "2024-01-15T00:00"])
        ),
        "updated_date": lambda: rng.choice(DAYS).isoformat(),
        "created_from": lambda: random_moment(rng, pool),
        "created_to": lambda: random_moment(rng, pool),
        "updated_from": lambda: random_moment(rng, pool),
        "updated_to": lambda: (
            random_moment(rng, pool) if rng.random() > 0.03 else "2024-01-15T25:00"
        ),
        "has_image": lambda: rng.choice(FLAG_SPELLINGS) if rng.random() > 0.03 else "maybe",
        "has_description": lambda: rng.choice(FLAG_SPELLINGS),
        "has_url": lambda: rng.choice(FLAG_SPELLINGS),
    }
    weights = {"search": 6, "ordering": 5, "has_image": 2, "has_description": 2, "has_url": 2}
    names = list(makers)
    chosen = set()
    for _ in range(rng.randint(1, 5)):
        chosen.add(rng.choices(names, [weights.get(n, 1) for n in names])[0])
    params = {name: makers[name]() for name in sorted(chosen)}
    if rng.random() < 0.1:
        params[rng.choice(names)] = ""  # an empty value is "not given"
    roll = rng.random()
    if roll < 0.7:
        params["limit"] = str(rng.randint(1, 25))
    elif roll < 0.75:
        params["limit"] = rng.choice(["150", "0", ""])
    if rng.random() < 0.5:
        params["offset"] = str(rng.randint(0, 40))
    return params


# ------------------------------------------------------------------------------- checks


def get(client, key, portfolio_id, params):
    response = client.get(
        BASE.format(portfolio_id), query_string=params, headers={"Authorization": f"Token {key}"}
    )
    assert response.content_type == "application/json", response.data[:300]
    return response


def timestamp(value):
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def assert_page_url(url, portfolio_id, params, limit, offset):
    """A next/previous URL: this request's URL with limit and offset replaced, others kept."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == BASE.format(portfolio_id)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    assert [v for k, v in pairs if k == "limit"] == [str(limit)]
    assert [v for k, v in pairs if k == "offset"] == ([str(offset)] if offset else [])
    kept = sorted((k, v) for k, v in params.items() if k not in ("limit", "offset"))
    assert sorted((k, v) for k, v in pairs if k not in ("limit", "offset")) == kept


def check_query(client, key, portfolio_id, rows, params):
    """Ask the app and the model the same question; return the model's count (or None)."""
    query, errors = model.parse(params)
    response = get(client, key, portfolio_id, params)
    body = response.get_json()
    if errors:
        assert response.status_code == 400, (params, body)
        assert set(body) == set(errors), (params, body)
        for field, message in errors.items():
            if field != "ordering":
                assert body[field] == [message], (params, body)
        return None
    assert response.status_code == 200, (params, body)
    count, matching = model.select(rows, query)
    expected = matching[query.offset : query.offset + query.limit]
    assert body["count"] == count, (params, query)
    assert [r["id"] for r in body["results"]] == [row.id for row in expected], (params, query)
    for result, row in zip(body["results"], expected, strict=True):
        assert result["name"] == row.name
        assert result["url"] == row.url
        assert result["description"] == row.description
        assert result["created_at"] == timestamp(row.created_at)
        assert result["updated_at"] == timestamp(row.updated_at)
        image = result["image_data"]
        assert (image and image["id"]) == row.image_id
    following = model.next_offset(query.offset, query.limit, count)
    if following is None:
        assert body["next"] is None, params
    else:
        assert_page_url(body["next"], portfolio_id, params, query.limit, following)
    preceding = model.previous_offset(query.offset, query.limit, count)
    if preceding is None:
        assert body["previous"] is None, params
    else:
        assert_page_url(body["previous"], portfolio_id, params, query.limit, preceding)
    return count


# -------------------------------------------------------------------------------- tests


def test_model_agrees_with_spec_examples():
    """The model itself, on SPEC's own examples, so a wrong model cannot pass unnoticed."""
    assert model.normalise("ÉCOLE Straße") == "école strasse"
    assert model.normalise("كتاب علي ۱۲۳ ٣") == "کتاب علی 123 3"
    assert model.normalise("مـــحمد می\u200cخواهم") == "محمد می خواهم"
    assert model.name_sort_key("آب") < model.name_sort_key("پ") < model.name_sort_key("ی")
    assert model.split_search('a,b  "c d", e') == ["a", "b", "c d", "e"]
    day = model.parse_moment("2024-01-15")
    assert day.high == datetime(2024, 1, 15, 23, 59, 59, 999999, UTC)
    moment = model.parse_moment("2024-01-15T03:30 03:30")
    assert moment.low == datetime(2024, 1, 15, tzinfo=UTC)
    assert model.previous_offset(25, 10, 20) == 10
    assert model.previous_offset(5, 10, 20) == 0
    assert model.next_offset(10, 10, 20) is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_queries_match_the_model(client, app, make_image, staff_key, seed):
    portfolio_id, rows = seed_links(app, make_image, seed)
    rng = random.Random(1000 + seed)
    pool = sorted({row.created_at for row in rows} | {row.updated_at for row in rows})
    counts = [
        check_query(client, staff_key, portfolio_id, rows, random_params(rng, rows, pool))
        for _ in range(110)
    ]
    # The generator must exercise all outcomes, or the agreement above proves little.
    answered = [count for count in counts if count is not None]
    assert len(answered) > 80
    assert sum(1 for count in answered if count == 0) > 5
    assert sum(1 for count in answered if 0 < count < 30) > 15
    assert sum(1 for count in answered if count >= 30) > 5


def test_search_edge_terms_match_the_model(client, app, make_image, staff_key):
    """Hand-picked terms where a careless LIKE, collation or normalisation goes wrong."""
    portfolio_id, rows = seed_links(app, make_image, 7)
    ids = [row.id for row in rows]
    searches = [
        "%", "_", "\\", "%_", "a_b", "a\\b", "C:\\dir", "100%", "'s", "it's", "O'Reilly",
        "github", "GITHUB", "GitHub", "strasse", "STRASSE", "straße", "ÉCOLE", "école", "ecole",
        "كتاب", "کتاب", "علي", "علی", "يك", "یک", "ـکتاب", "کـتـاب", "۱۲۳", "١٢٣", "123",
        "٤٢", "۴۲", "42", "محمد", "مـحـمـد", "می\u200cخواهم", "\"می خواهم\"", "file", "ﬁle",
        "xii", "Ⅻ", "x2", "x²", "istanbul", "i̇zmir", "džemal", '"smith, john"', "smith,john",
        "github,octo", '"say hi"', "hi", "zebra apple", "  ,  ", ",,", str(ids[0]),
        str(ids[-1]), str(ids[len(ids) // 2]).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
        "/", "//", "/%", "a/b", "%25", "😀", "full", "ｆｕｌｌ", "k", "K", "가",
        "99999999999999999999", "9223372036854775808", "9223372036854775807",
    ]  # fmt: skip
    # A term spanning the end of the name and the start of the url matches neither.
    for row in rows[:40]:
        name, url = model.normalise(row.name), model.normalise(row.url or "")
        if name and url and " " not in name[-2:] + url[:3]:
            searches.append(name[-2:] + url[:3])
    for search in searches:
        for ordering in ("", "name", "-name,id"):
            params = {"search": search, "limit": "100", "ordering": ordering}
            check_query(client, staff_key, portfolio_id, rows, params)


def test_boundary_timestamps_match_the_model(client, app, make_image, staff_key):
    """Midnight, the last microsecond of a day, and offsets that cross the day."""
    portfolio_id, rows = seed_links(app, make_image, 11)
    values = [
        "2024-01-15", "2024-01-14", "2024-01-16", "2024-12-31", "2025-01-01",
        "2024-01-15T00:00:00", "2024-01-15T00:00:00Z", "2024-01-15T00:00:00.000001Z",
        "2024-01-15T23:59:59.999999", "2024-01-15T23:59:59.999998Z", "2024-01-15T23:59:59Z",
        "2024-01-16T03:29:59.999999+03:30", "2024-01-16T03:30:00+03:30",
        "2024-01-16T03:30:00 03:30", "2024-01-16T03:30:00+0330", "2024-01-15T19:00:00-05:00",
        "2024-01-15T18:59:59.999999-05", "2025-01-01T13:59:59.999999+14:00", "2024-01-15T12:00",
    ]  # fmt: skip
    for value in values:
        for prefix in ("created", "updated"):
            for name in ("from", "to"):
                params = {f"{prefix}_{name}": value, "limit": "100", "ordering": "created_at"}
                check_query(client, staff_key, portfolio_id, rows, params)
        if len(value) == 10:
            for params in ({"created_date": value}, {"updated_date": value}):
                check_query(client, staff_key, portfolio_id, rows, {**params, "limit": "100"})
    # Both ends at once, from equal to to, and from one microsecond after to.
    for low, high in [
        ("2024-01-15", "2024-01-15"),
        ("2024-01-15T23:59:59.999999Z", "2024-01-15"),
        ("2024-01-16", "2024-01-15"),
        ("2024-01-15T12:00:00.000001Z", "2024-01-15T12:00:00Z"),
        ("2024-01-15T12:00:00Z", "2024-01-15T15:30:00+03:30"),
    ]:
        for prefix in ("created", "updated"):
            params = {f"{prefix}_from": low, f"{prefix}_to": high, "limit": "100"}
            check_query(client, staff_key, portfolio_id, rows, params)


WALKS = [
    {},
    {"ordering": "name"},
    {"ordering": "-name"},
    {"ordering": "created_at"},
    {"ordering": "-updated_at,name"},
    {"ordering": "-id"},
    {"ordering": "name", "search": "github"},
    {"has_image": "false", "ordering": "-created_at"},
]


@pytest.mark.parametrize("params", WALKS, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_walking_next_collects_every_row_once_in_order(client, app, make_image, staff_key, params):
    portfolio_id, rows = seed_links(app, make_image, 5, size=120)
    query, _ = model.parse(params)
    count, matching = model.select(rows, query)
    assert count > 7
    url, seen, offset = BASE.format(portfolio_id) + "?" + urlencode({**params, "limit": "7"}), [], 0
    pages = []
    while url:
        response = client.get(url, headers={"Authorization": f"Token {staff_key}"})
        body = response.get_json()
        assert response.status_code == 200, body
        assert body["count"] == count
        pages.append([r["id"] for r in body["results"]])
        seen += pages[-1]
        expected_previous = model.previous_offset(offset, 7, count)
        if expected_previous is None:
            assert body["previous"] is None
        else:
            assert _offset_of(body["previous"]) == expected_previous
        url, offset = body["next"], offset + 7
    assert seen == [row.id for row in matching]
    assert len(pages) == -(-count // 7)

    # And back again along "previous", page by page.
    url, back = body["previous"], [pages[-1]]
    while url:
        body = client.get(url, headers={"Authorization": f"Token {staff_key}"}).get_json()
        back.append([r["id"] for r in body["results"]])
        url = body["previous"]
    assert back == pages[::-1]


def test_previous_past_the_end_points_at_the_last_page_with_rows(
    client, app, make_image, staff_key
):
    portfolio_id, rows = seed_links(app, make_image, 9, size=60)
    count, matching = model.select(rows, model.parse({})[0])
    for offset in (count, count + 1, count + 50, count - 1):
        params = {"limit": "7", "offset": str(offset)}
        assert check_query(client, staff_key, portfolio_id, rows, params) == count
        previous = get(client, staff_key, portfolio_id, params).get_json()["previous"]
        start = max(min(offset - 7, count - 7), 0)
        body = client.get(previous, headers={"Authorization": f"Token {staff_key}"}).get_json()
        assert [r["id"] for r in body["results"]] == [r.id for r in matching[start : start + 7]]


def _offset_of(url):
    values = [v for k, v in parse_qsl(urlsplit(url).query) if k == "offset"]
    return int(values[0]) if values else 0

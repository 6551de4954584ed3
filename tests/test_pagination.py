"""Page arithmetic alone (links/pagination.py): no app, no database."""

import pytest

from portfolio_app.links.pagination import Page, Slice


def page(count, limit, offset):
    return Page(links=[], count=count, limit=limit, offset=offset)


@pytest.mark.parametrize(
    ("count", "limit", "offset", "expected"),
    [
        (0, 10, 0, None),  # nothing at all
        (10, 10, 0, None),  # one full page
        (11, 10, 0, 10),
        (11, 10, 10, None),
        (100, 7, 90, 97),
        (100, 7, 93, None),  # 93 + 7 == count: the last page
        (5, 10, 50, None),  # past the end
    ],
)
def test_next_offset(count, limit, offset, expected):
    assert page(count, limit, offset).next_offset == expected


@pytest.mark.parametrize(
    ("count", "limit", "offset", "expected"),
    [
        (100, 10, 0, None),  # the first page has none
        (100, 10, 10, 0),
        (100, 10, 5, 0),  # a page that started mid-way: previous starts at 0, not -5
        (100, 10, 55, 45),
        (20, 10, 50, 10),  # past the end: the last page that has rows
        (5, 10, 50, 0),  # past the end of a list shorter than a page
        (0, 10, 3, 0),
    ],
)
def test_previous_offset(count, limit, offset, expected):
    assert page(count, limit, offset).previous_offset == expected


def test_walking_next_visits_every_offset_once():
    for count in range(0, 40):
        for limit in (1, 3, 10):
            offsets, offset = [], 0
            while offset is not None:
                offsets.append(offset)
                offset = page(count, limit, offset).next_offset
            assert offsets == list(range(0, max(count, 1), limit)), (count, limit)


@pytest.mark.parametrize("count", [1, 2, 7, 23, 100])
@pytest.mark.parametrize("limit", [1, 4, 10])
def test_a_slice_reaches_the_same_rows_from_either_end(count, limit):
    rows = list(range(count))
    for offset in range(count):
        wanted = rows[offset : offset + limit]
        part = Slice.of(limit, offset, count)
        if part.from_end:
            backwards = rows[::-1][part.offset : part.offset + part.limit]
            assert backwards[::-1] == wanted, (offset, part)
        else:
            assert rows[part.offset : part.offset + part.limit] == wanted, (offset, part)
        # Read from whichever end is nearer: never more entries skipped than from the start.
        assert part.offset <= offset
        assert part.offset <= count - offset


def test_a_slice_past_the_middle_is_read_from_the_end():
    assert Slice.of(10, 90_000, 95_000) == Slice(10, 4_990, True)
    assert Slice.of(10, 0, 95_000) == Slice(10, 0, False)
    # The last, short page: only the rows that exist, from the end.
    assert Slice.of(10, 95, 100) == Slice(5, 0, True)
    assert Slice.of(10, 95, 100).end == 5


def test_the_middle_is_read_from_the_start():
    assert Slice.of(10, 45, 100) == Slice(10, 45, False)

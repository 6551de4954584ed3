"""Search normalisation and the name sort key (SPEC section 2)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio_app.text import (
    PERSIAN_ALPHABET,
    _normalise_unicode,
    is_blank,
    normalise,
    sort_key,
)

# Letters the rules touch, mixed with anything else Unicode has.
tricky = st.text(
    alphabet=st.one_of(
        st.sampled_from("يىكـ\u200c۰۱۲٣٤ﻙﺘآا\u0653\u0654ßİ ΣσςÉé\t\n"), st.characters()
    ),
    max_size=40,
)


def name_sort_key(name):
    """The key a name is stored with (SPEC 2's name_sort_key)."""
    return sort_key(normalise(name))


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_ascii_shortcut_gives_what_the_unicode_rules_give(text):
    assert normalise(text) == _normalise_unicode(text)


@given(tricky)
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


# Removing a tatweel can bring a letter and its mark together: alef, tatweel, madda.
marks = st.text(alphabet=st.sampled_from("اـ\u0653\u0654\u0655ويه\u200c "), max_size=8)


@given(marks)
def test_normalise_is_idempotent_when_tatweel_separates_a_mark(text):
    once = normalise(text)
    assert normalise(once) == once


def test_letter_and_mark_split_by_tatweel_compose():
    assert normalise("اـ\u0653") == "آ"


@given(tricky)
def test_normalised_text_has_no_variant_letters_or_odd_spaces(text):
    result = normalise(text)
    assert not set(result) & set("يىكـ\u200c۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩\t\n")
    assert result == result.strip()
    assert "  " not in result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GitHub", "github"),
        ("كيك", "کیک"),
        ("على", "علی"),
        ("۱۲۳ ٤٥٦", "123 456"),
        ("کـــتاب", "کتاب"),
        ("می\u200cخواهم", "می خواهم"),
        ("  a \t\n b  ", "a b"),
        ("Straße", "strasse"),
        ("ﻙ", "ک"),
        ("ｆｕｌｌ", "full"),
    ],
)
def test_normalise_examples(text, expected):
    assert normalise(text) == expected


def test_sort_key_puts_persian_letters_in_alphabet_order():
    shuffled = ["ی", "گ", "ک", "ژ", "پ", "چ", "ب", "آ", "ا", "ه", "و"]
    assert sorted(shuffled, key=name_sort_key) == [c for c in PERSIAN_ALPHABET if c in shuffled]


def test_sort_key_treats_arabic_variants_as_persian_and_ignores_case():
    assert name_sort_key("كتاب") == name_sort_key("کتاب")
    assert name_sort_key("GitHub") == name_sort_key("github")
    assert name_sort_key("z") < name_sort_key("آ")  # Latin before Persian, by code point


@pytest.mark.parametrize(
    ("value", "blank"),
    [(None, True), ("", True), (" \t\n", True), ("\u00a0", True), ("x", False), (" x ", False)],
)
def test_blank(value, blank):
    assert is_blank(value) is blank

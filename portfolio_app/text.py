"""Text normalisation shared by stored rows and search terms, so both match alike."""

import re
import unicodedata

PERSIAN_ALPHABET = "آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
ZWNJ = "\u200c"

_LETTER_VARIANTS = {
    "ي": "ی",  # Arabic yeh -> Persian yeh
    "ى": "ی",  # alef maksura -> Persian yeh
    "ك": "ک",  # Arabic kaf -> keheh
    "ـ": None,  # tatweel only stretches a word
    ZWNJ: " ",  # a half-space matches a space; stored text keeps it, only this column loses it
}
_DIGITS = {chr(zero + n): str(n) for zero in (0x06F0, 0x0660) for n in range(10)}
_TRANSLATION = str.maketrans(_LETTER_VARIANTS | _DIGITS)
_SORT_TRANSLATION = str.maketrans({ord(c): 0xE000 + i for i, c in enumerate(PERSIAN_ALPHABET)})
_WHITESPACE = re.compile(r"\s+")


def _normalise_once(text):
    text = unicodedata.normalize("NFKC", text).casefold()
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATION)
    return _WHITESPACE.sub(" ", text).strip()


def normalise(text):
    """Return text in the form that search compares: NFKC, case-folded, Persian letters."""
    if text.isascii():
        # NFKC leaves ASCII as it is, case folding it is lower(), and no letter or digit
        # variant is ASCII: what _normalise_unicode returns, at a fraction of the cost.
        return _WHITESPACE.sub(" ", text.lower()).strip()
    return _normalise_unicode(text)


def _normalise_unicode(text):
    # Removing a tatweel can put a mark beside its letter, which NFKC then composes;
    # a second pass reaches the fixed point, so normalise(normalise(x)) == normalise(x).
    once = _normalise_once(text)
    twice = _normalise_once(once)
    return twice if twice == once else _normalise_once(twice)


def sort_key(normalised_name):
    """Return the key that orders names alike on every database, Persian letters in order."""
    return normalised_name.translate(_SORT_TRANSLATION)


def search_document(normalised_name, url):
    """Return the normalised text a search term is looked for in (the name normalised)."""
    # A newline never survives normalisation, so no term can match across name and url.
    return normalised_name + "\n" + normalise(url or "")


def is_blank(text):
    """Tell whether a value counts as missing: None, empty or whitespace only."""
    return text is None or not text.strip()

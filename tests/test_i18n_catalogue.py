"""The catalogues (SPEC 12): no visible template text outside them, complete, compiled, current."""

import re
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.checkers import python_format
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

ROOT = Path(__file__).parents[1]
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "portfolio_app" / "translations"
LANGUAGES = ("en", "fa")
# The API reference page runs Swagger UI, which is English: it stays an English page.
UNTRANSLATED_TEMPLATES = {"docs.html"}
# Attributes a person reads (or hears from a screen reader).
VISIBLE_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder", "data-label", "label"}
HOLE = "\x00"  # where an expression ({{ ... }}) stands in the template's literal HTML
WORDS = re.compile(r"[^\W\d_]", re.UNICODE)  # any letter, in any script


class VisibleText(HTMLParser):
    """Collect the text and readable attribute values of an HTML fragment."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and _readable(value or ""):
                self.found.append(f"{tag}[{name}]={value!r}")

    def handle_data(self, data):
        # A macro that writes attributes (aria-describedby="...") is markup, not text.
        data = ATTRIBUTES.sub("", data).strip()
        if _readable(data):
            self.found.append(data)


ATTRIBUTES = re.compile(r'[a-z][a-z-]*="[^"]*"')


def _readable(text):
    return bool(WORDS.search(text.replace(HOLE, "")))


def untranslated_text(source):
    """Return the visible strings of a Jinja template that are literal, not from _()."""
    tree = Environment(extensions=["jinja2.ext.i18n"]).parse(source)
    html = []
    for node in tree.find_all((nodes.TemplateData, nodes.Output)):
        if isinstance(node, nodes.Output):
            # Literal text is TemplateData inside an Output; anything else is an expression.
            html.extend(
                child.data if isinstance(child, nodes.TemplateData) else HOLE
                for child in node.nodes
            )
    parser = VisibleText()
    parser.feed("".join(html))
    parser.close()
    return parser.found


def templates():
    return sorted(
        path.relative_to(TEMPLATES).as_posix()
        for path in TEMPLATES.rglob("*.html")
        if path.relative_to(TEMPLATES).as_posix() not in UNTRANSLATED_TEMPLATES
    )


@pytest.mark.parametrize("name", templates())
def test_no_visible_text_outside_the_catalogue(name):
    assert untranslated_text((TEMPLATES / name).read_text()) == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("<p>Hello</p>", ["Hello"]),
        ('<a title="Open it" href="{{ url }}">{{ _("Open") }}</a>', ["a[title]='Open it'"]),
        ('<th data-label="Name">{{ x }}</th>', ["th[data-label]='Name'"]),
        ("{% if x %}<span>سلام</span>{% endif %}", ["سلام"]),
        ("<p>{{ count }} links</p>", ["\x00 links"]),
        ('<p>{{ _("Hello") }} · {{ name }} — 42</p>', []),
        ('<input type="hidden" name="next" value="{{ v }}">', []),
        ("{# a comment with words #}<br>", []),
    ],
)
def test_the_check_finds_literal_text(source, found):
    assert untranslated_text(source) == found


def _catalogue(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=language)


def _extracted_ids():
    method_map, options_map = parse_mapping_cfg((ROOT / "babel.cfg").open())
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "N_": None,
        "_l": None,
        "lazy_gettext": None,
    }
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_the_template_and_catalogues_hold_every_string_the_code_marks():
    extracted = _extracted_ids()
    with (TRANSLATIONS / "messages.pot").open("rb") as file:
        template = {message.id for message in read_po(file) if message.id}
    assert extracted - template == set(), "run `make messages`, then translate"
    for language in LANGUAGES:
        ids = {message.id for message in _catalogue(language) if message.id}
        assert extracted - ids == set(), f"{language}: run `make messages`, then translate"


def test_persian_is_complete_and_keeps_the_placeholders():
    catalogue = _catalogue("fa")
    for message in catalogue:
        if not message.id:
            continue
        assert message.string, f"no Persian for {message.id!r}"
        assert not message.fuzzy, f"fuzzy Persian for {message.id!r}"
        python_format(catalogue, message)  # raises when a %(name)s is lost or added
        placeholders = set(re.findall(r"%\((\w+)\)s", message.id))
        assert set(re.findall(r"%\((\w+)\)s", message.string)) == placeholders


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogues_match_their_sources(language):
    compiled = BytesIO()
    write_mo(compiled, _catalogue(language))
    committed = (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").read_bytes()
    with BytesIO(committed) as file:
        shipped = {m.id: m.string for m in read_mo(file) if m.id}
    with BytesIO(compiled.getvalue()) as file:
        fresh = {m.id: m.string for m in read_mo(file) if m.id}
    assert shipped == fresh, "run `make translations` (the .mo is older than its .po)"

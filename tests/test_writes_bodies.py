"""SPEC 8's bodies: every message, every parser, and hostile input that is never a 500."""

# ruff: noqa: F401, F811 (the fixtures imported from tests/writes.py are parameters here)

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .images import write_jpeg, write_noisy_jpeg, write_png_bomb
from .writes import portfolio, snapshot, upload, writer

INVALID_IMAGE = [
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
]
MULTIPART = "multipart/form-data"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": None}, {"name": ["This field may not be null."]}),
        ({"name": "   "}, {"name": ["This field may not be blank."]}),
        ({"name": "x" * 1001}, {"name": ["Ensure this field has no more than 1000 characters."]}),
        ({"name": ["x"]}, {"name": ["Not a valid string."]}),
        ({"name": True}, {"name": ["Not a valid string."]}),
        ({"name": "a\x00b"}, {"name": ["Null characters are not allowed."]}),
        ({"name": "n", "url": "example.com"}, {"url": ["Enter a valid URL."]}),
        ({"name": "n", "url": "javascript:alert(1)"}, {"url": ["Enter a valid URL."]}),
        ({"name": "n", "url": "mailto:a@b.example"}, {"url": ["Enter a valid URL."]}),
        ({"name": "n", "url": "http://"}, {"url": ["Enter a valid URL."]}),
        ({"name": "n", "url": "http://[::1"}, {"url": ["Enter a valid URL."]}),
        ({"name": "n", "url": "http://999.1.1.1/"}, {"url": ["Enter a valid URL."]}),
        (
            {"name": "n", "url": "https://a.example/" + "x" * 2031},
            {"url": ["Enter a valid URL."]},
        ),
        (
            {"name": "n", "description": "d" * 100_001},
            {"description": ["Ensure this field has no more than 100000 characters."]},
        ),
        ({"name": "n", "order": "abc"}, {"order": ["A valid integer is required."]}),
        ({"name": "n", "order": 1.5}, {"order": ["A valid integer is required."]}),
        ({"name": "n", "order": None}, {"order": ["This field may not be null."]}),
        (
            {"name": "n", "order": 2**31},
            {"order": ["Ensure this value is less than or equal to 2147483647."]},
        ),
        (
            {"name": "n", "order": -(2**31) - 1},
            {"order": ["Ensure this value is greater than or equal to -2147483648."]},
        ),
        (
            {"name": "n", "image": "not a file"},
            {"image": ["The submitted data was not a file. Check the encoding type on the form."]},
        ),
        (
            {"name": "", "url": "nope", "order": "x"},
            {
                "name": ["This field may not be blank."],
                "url": ["Enter a valid URL."],
                "order": ["A valid integer is required."],
            },
        ),
    ],
)
def test_invalid_fields_get_drf_messages_and_change_nothing(app, writer, body, errors):
    before = snapshot(app)
    response = writer.create(body)
    assert response.status_code == 400
    assert response.json == errors
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "https://a.example/path?q=1#x",
        "ftp://files.example/x",
        "ftps://files.example/x",
        "http://127.0.0.1:8080/",
        "http://[::1]/",
        "https://xn--mgbh0fb.example/",
        "https://مثال.example/",
        "",
    ],
)
def test_valid_urls_are_kept(writer, url):
    assert writer.new(url=url)["url"] == url


def test_integer_order_forms_drf_accepts(app, writer):
    from .writes import audit_entries

    for value, expected in (("12", 12), (12.0, 12), (" 7 ", 7), ("3.00", 3), (-5, -5)):
        link = writer.new(order=value)
        assert audit_entries(app, link["id"])[-1]["after"]["order"] == expected


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"GIF89a not really", "fake.gif"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "broken.png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.svg"),
        (b"%PDF-1.4\n", "doc.pdf"),
    ],
)
def test_a_file_that_is_not_an_image_is_refused(app, writer, content, name):
    before = snapshot(app)
    response = writer.create(
        data={"name": "x", "image": upload(content, name)}, content_type=MULTIPART
    )
    assert response.status_code == 400
    assert response.json == {"image": INVALID_IMAGE}
    assert snapshot(app) == before


def test_a_cut_short_jpeg_is_refused(app, writer, tmp_path):
    content = write_noisy_jpeg(tmp_path / "n.jpg").read_bytes()
    before = snapshot(app)
    response = writer.create(
        data={"name": "x", "image": upload(content[: len(content) // 2])}, content_type=MULTIPART
    )
    assert response.status_code == 400 and list(response.json) == ["image"]
    assert snapshot(app) == before


def test_a_decompression_bomb_is_refused(app, writer, tmp_path):
    content = write_png_bomb(tmp_path / "bomb.png", 20_000, 20_000).read_bytes()
    before = snapshot(app)
    response = writer.create(
        data={"name": "x", "image": upload(content, "bomb.png")}, content_type=MULTIPART
    )
    assert response.status_code == 400
    assert response.json["image"][0].startswith("Upload a valid image.")
    assert snapshot(app) == before


def test_an_image_name_over_255_characters_is_refused(writer, tmp_path):
    content = write_jpeg(tmp_path / "a.jpg").read_bytes()
    response = writer.create(
        data={"name": "x", "image": upload(content, "a" * 300 + ".jpg")}, content_type=MULTIPART
    )
    assert response.status_code == 400 and list(response.json) == ["image"]


def test_an_empty_file_with_a_name_is_refused(writer):
    response = writer.create(
        data={"name": "x", "image": upload(b"", "empty.jpg")}, content_type=MULTIPART
    )
    assert response.json == {"image": ["The submitted file is empty."]}


# ------------------------------------------------------------------------------ bodies


@pytest.mark.parametrize(
    ("data", "detail_start"),
    [
        (b"{", "JSON parse error - "),
        (b'{"name": "x",}', "JSON parse error - "),
        (b"\xff\xfe", "JSON parse error - "),
        (b'{"name": NaN}', "JSON parse error - "),
        (b'{"name": Infinity}', "JSON parse error - "),
        (b"[" * 100_000 + b"]" * 100_000, "JSON parse error - "),
    ],
)
def test_a_body_that_is_not_json_is_400(app, writer, data, detail_start):
    before = snapshot(app)
    response = writer.create(data=data, content_type="application/json")
    assert response.status_code == 400
    assert response.json["detail"].startswith(detail_start)
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"null", "No data provided"),
        (b"[]", "Invalid data. Expected a dictionary, but got list."),
        (b'"name"', "Invalid data. Expected a dictionary, but got str."),
        (b"3", "Invalid data. Expected a dictionary, but got int."),
    ],
)
def test_json_that_is_not_an_object_is_400(writer, data, message):
    response = writer.create(data=data, content_type="application/json")
    assert response.status_code == 400
    assert response.json == {"non_field_errors": [message]}


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "image/jpeg", "application/jsonx"]
)
def test_another_media_type_is_415(app, writer, content_type):
    before = snapshot(app)
    response = writer.create(data=b"name=x", content_type=content_type)
    assert response.status_code == 415
    assert response.json == {"detail": f'Unsupported media type "{content_type}" in request.'}
    assert snapshot(app) == before
    link = writer.new()
    before = snapshot(app)
    response = writer.patch(link["id"], data=b"name=x", content_type=content_type)
    assert response.status_code == 415
    assert snapshot(app) == before


def test_an_empty_body_is_no_data_whatever_its_type(writer):
    response = writer.create(data=b"", content_type="text/plain")
    assert response.status_code == 400
    assert response.json == {"name": ["This field is required."]}


def test_a_body_over_the_limit_is_413_on_every_write(app, writer):
    app.config["MAX_UPLOAD_BYTES"] = 1024
    link = writer.new()
    before = snapshot(app)
    big = json.dumps({"name": "x" * 2000})
    for call in (
        lambda: writer.create(data=big, content_type="application/json"),
        lambda: writer.patch(link["id"], data=big, content_type="application/json"),
        lambda: writer.create(
            data={"name": "x", "image": upload(b"\xff" * 4096, "a.jpg")}, content_type=MULTIPART
        ),
        lambda: writer.create(data={"name": "x" * 4096}),
    ):
        response = call()
        assert response.status_code == 413
        assert response.json["detail"] == "The request body is larger than the limit of 1.00 KB."
    assert snapshot(app) == before


def test_multipart_without_a_boundary_is_400(writer):
    response = writer.create(data=b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400
    assert "boundary" in response.json["detail"]


def test_a_repeated_form_field_takes_the_last_value(writer):
    response = writer.client.post(
        writer.list_path(),
        data="name=first&name=second",
        content_type="application/x-www-form-urlencoded",
        headers=writer.headers(),
    )
    assert response.status_code == 201 and response.json["name"] == "second"


# ------------------------------------------------------------------------------ move bodies


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"non_field_errors": ['Give exactly one of "before", "after" or "to".']}),
        ({"to": "first", "before": 1}, None),
        ({"to": "middle"}, {"to": ['"middle" is not a valid choice.']}),
        ({"to": None}, {"to": ["This field may not be null."]}),
        ({"to": 5}, {"to": ["Not a valid string."]}),
        ({"before": "x"}, {"before": ["A valid integer is required."]}),
        ({"before": 2**63}, {"before": ["No such link in this portfolio."]}),
        ({"after": 0}, {"after": ["No such link in this portfolio."]}),
        ({"after": 123456789}, {"after": ["No such link in this portfolio."]}),
    ],
)
def test_a_bad_move_is_400_and_changes_nothing(app, writer, body, errors):
    link = writer.new()
    before = snapshot(app)
    response = writer.move(link["id"], body)
    assert response.status_code == 400
    if errors is not None:
        assert response.json == errors
    assert snapshot(app) == before


def test_a_move_relative_to_a_link_of_another_portfolio_is_400(app, writer, make_portfolio):
    from .writes import Writer

    other = Writer(writer.client, writer.key, make_portfolio("other").id).new()
    link = writer.new()
    for place in ("before", "after"):
        response = writer.move(link["id"], {place: other["id"]})
        assert response.json == {place: ["No such link in this portfolio."]}


def test_a_move_relative_to_itself_is_400(writer):
    link = writer.new()
    response = writer.move(link["id"], {"before": link["id"]})
    assert response.status_code == 400 and list(response.json) == ["before"]


# ------------------------------------------------------------------------------ hostile

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = st.sampled_from(["name", "url", "description", "order", "image", "id", "before", "to"])
HOSTILE = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@HOSTILE
@given(body=st.dictionaries(FIELDS, JSON_VALUES, max_size=5))
def test_any_json_body_gets_201_or_400_never_500(writer, body):
    response = writer.create(body)
    assert response.status_code in (201, 400), response.get_data(as_text=True)
    assert response.is_json


@HOSTILE
@given(body=st.dictionaries(FIELDS, JSON_VALUES, max_size=4))
def test_any_patch_put_or_move_body_is_answered_never_500(writer, body):
    link = writer.new()
    for response in (
        writer.patch(link["id"], body),
        writer.put(link["id"], body),
        writer.move(link["id"], body),
    ):
        assert response.status_code in (200, 400), response.get_data(as_text=True)


@HOSTILE
@given(
    data=st.binary(max_size=300),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/json; charset=latin-1",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data; boundary=",
            "text/plain",
            "",
        ]
    ),
)
def test_any_bytes_in_any_type_are_answered_never_500(writer, data, content_type):
    response = writer.client.post(
        writer.list_path(), data=data, headers=writer.headers({"Content-Type": content_type})
    )
    assert response.status_code in (201, 400, 415), response.get_data(as_text=True)
    assert response.is_json


@HOSTILE
@given(
    fields=st.dictionaries(
        st.sampled_from(["name", "url", "description", "order", "image"]),
        st.text(max_size=30),
        max_size=5,
    ),
    content=st.binary(max_size=200),
    filename=st.text(max_size=20),
)
def test_any_multipart_form_is_answered_never_500(writer, fields, content, filename):
    data = {**fields, "image": upload(content, filename)}
    response = writer.create(data=data, content_type=MULTIPART)
    assert response.status_code in (201, 400), response.get_data(as_text=True)

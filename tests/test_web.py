"""The shared web helpers: numbers from requests, and refusals answered with their status."""

import pytest

from consult import errors, web


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("7", 7),
        (" 12 ", 12),
        ("0", 0),
        ("²", None),
        ("٣", None),
        ("-1", None),
        ("1.5", None),
        ("", None),
        (None, None),
        ("9" * 40, None),
        (str(2**31), None),
        (str(2**31 - 1), 2**31 - 1),
    ],
)
def test_parse_int_accepts_only_ascii_numbers_that_fit_a_column(raw, expected):
    assert web.parse_int(raw) == expected


def test_page_arg_falls_back_to_the_first_page(app):
    cases = [("sida=3", 3), ("sida=0", 1), ("sida=²", 1), ("sida=999999", 50), ("", 1)]
    for query, expected in cases:
        with app.test_request_context(f"/?{query}"):
            assert web.page_arg(last=50) == expected


def test_int_list_keeps_the_numbers_in_order():
    assert web.int_list(["3", "x", "²", "1", "3"]) == [3, 1, 3]


@pytest.mark.parametrize(
    "refusal, status",
    [
        (errors.NotAllowed(), 403),
        (errors.NotFound(), 404),
        (errors.WrongState("closed"), 409),
        (errors.Conflict(None), 409),
        (errors.Invalid({"body": "required"}), 422),
    ],
)
def test_a_refusal_no_route_renders_answers_with_its_status(app, refusal, status):
    @app.get("/_refuse")
    def _refuse():
        raise refusal

    assert app.test_client().get("/_refuse").status_code == status


def test_a_refusal_is_shown_next_to_the_fields_it_names(app):
    from types import SimpleNamespace

    form = SimpleNamespace(body=SimpleNamespace(errors=[]), stance=SimpleNamespace(errors=[]))
    refusal = errors.Invalid({"stance": "choice", "kind": "unknown"})
    web.show_refusal(form, refusal, lambda field, key: f"{field}:{key}", fallback="body")
    assert form.stance.errors == ["stance:choice"]
    # A field the form does not have is shown on the fallback, not lost.
    assert form.body.errors == ["kind:unknown"]
    form.body.errors = []
    web.show_refusal(form, refusal, lambda field, key: f"{field}:{key}")
    assert form.body.errors == []

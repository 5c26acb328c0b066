"""What every route does the same way: call a service as the signed-in user, read numbers from
the request, and answer a form page with the right status."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from io import BytesIO
from urllib.parse import parse_qsl

from flask import Request, make_response, render_template, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.routing import BaseConverter, ValidationError

from .db import get_session

# Ids and page numbers fit a 32-bit integer column (PostgreSQL refuses larger ones).
INT_MAX = 2**31 - 1


def call(function, *args, **kwargs):
    """Call a service with the request's session and the current user.

    Refusals the route does not catch reach the app's error handler, which rolls back and
    answers with their status (403, 404, 409 or 422).
    """
    return function(get_session(), current_user, *args, **kwargs)


def viewer():
    """The signed-in user, or None for an anonymous visitor (as services expect)."""
    return current_user if current_user.is_authenticated else None


def parse_int(raw: str | None, *, minimum: int = 0, maximum: int = INT_MAX) -> int | None:
    """Return ``raw`` as an int within [minimum, maximum], or None for anything else.

    Only ASCII digits count: ``"²".isdigit()`` is true but ``int("²")`` fails.
    """
    if raw is None:
        return None
    raw = raw.strip()
    if not raw or len(raw) > 12 or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


class IdConverter(BaseConverter):
    """The app's ``<int:…>`` URL converter: ASCII digits only, within a 32-bit column.

    Werkzeug's own matches any Unicode digit ("٣") and any size, which the database then
    refuses with a 500; here both are simply no page (404).
    """

    regex = r"[0-9]+"
    part_isolating = True
    weight = 50

    def to_python(self, value: str) -> int:
        number = parse_int(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def int_arg(name: str, *, minimum: int = 0, maximum: int = INT_MAX) -> int | None:
    """A number from the query string, or None when it is missing or not a number."""
    return parse_int(request.args.get(name), minimum=minimum, maximum=maximum)


def int_field(name: str, *, minimum: int = 0, maximum: int = INT_MAX) -> int | None:
    """A number from the posted form, or None when it is missing or not a number."""
    return parse_int(request.form.get(name), minimum=minimum, maximum=maximum)


def int_list(values: Iterable[str]) -> list[int]:
    """The numbers among ``values`` (e.g. ``request.form.getlist("comments")``), in order."""
    parsed = (parse_int(value) for value in values)
    return [value for value in parsed if value is not None]


def page_arg(name: str = "sida", *, last: int = 100_000) -> int:
    """The page number asked for: 1 when missing or not a page, at most ``last``."""
    return min(parse_int(request.args.get(name), minimum=1) or 1, last)


def show_refusal(form, error, message, *, fallback: str | None = None) -> None:
    """Show a service's ``Invalid`` refusal next to the fields it names.

    ``message(field, key)`` is the area's reader-facing text for a refusal key. A field the
    form does not have is shown on ``fallback`` (e.g. the comment body), or left out.
    """
    for name, key in error.errors.items():
        field = getattr(form, name, None) or (getattr(form, fallback) if fallback else None)
        if field is not None:
            field.errors = [str(message(name, key))]


def form_page(template: str, form, **context):
    """Render a form page: 422 when the form has errors, so clients and tests can tell."""
    status = 422 if form.errors else 200
    return make_response(render_template(template, form=form, **context), status)


class _KeepingFormParser(FormDataParser):
    """Werkzeug's parser, which also hands over a form body that is not UTF-8, read leniently.

    Werkzeug answers such a body with an empty form (so the CSRF check refuses it); the
    lenient copy lets a route give the person their text back instead of losing it.
    """

    keep: Callable[[MultiDict], None] | None = None

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        raw = stream.read()
        try:
            return super()._parse_urlencoded(BytesIO(raw), mimetype, content_length, options)
        except UnicodeDecodeError:
            if self.keep is not None:
                text = raw.decode("utf-8", "replace")
                self.keep(MultiDict(parse_qsl(text, keep_blank_values=True, errors="replace")))
            raise


class ConsultRequest(Request):
    """The app's request: ``unreadable_form`` holds a non-UTF-8 form body, read leniently."""

    form_data_parser_class = _KeepingFormParser
    unreadable_form: MultiDict | None = None

    def make_form_data_parser(self) -> FormDataParser:
        parser = super().make_form_data_parser()
        parser.keep = self._keep_unreadable
        return parser

    def _keep_unreadable(self, form: MultiDict) -> None:
        self.unreadable_form = form


def sent_form() -> tuple[MultiDict, bool]:
    """The posted form, and whether it had to be read leniently (its body was not UTF-8)."""
    unreadable = getattr(request, "unreadable_form", None)
    if unreadable is not None:
        return unreadable, True
    return request.form, False

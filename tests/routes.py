"""Route lists shared by the authorisation matrices, and test ids that name each route.

A matrix is parametrised by the index of a route in its list; ``endpoint_ids`` names each
case by its method and URL pattern (``GET /admin/omgang/<r>/stycke/<p>/``), computed from
the same list with placeholders instead of database ids.
"""

from __future__ import annotations

from types import SimpleNamespace


def endpoint_ids(routes) -> list[str]:
    """Return "METHOD /url" for each (method, url, ...) of ``routes``."""
    return [f"{method.upper()} {url}" for method, url, *_ in routes]


def placeholder_round() -> SimpleNamespace:
    """A stand-in round whose ids are placeholders: <c>onsultation, <r>ound, <p>, <s>."""
    return SimpleNamespace(
        id="<r>",
        consultation_id="<c>",
        document=SimpleNamespace(
            paragraphs=[SimpleNamespace(id="<p>")], sections=[SimpleNamespace(id="<s>")]
        ),
    )


def draft_routes(round_) -> list[tuple[str, str]]:
    """Every route of the draft editor, for the authorisation matrix."""
    r = round_.id
    p = round_.document.paragraphs[0].id
    s = round_.document.sections[0].id
    return [
        ("get", f"/admin/omgang/{r}/utkast/redigera"),
        ("get", f"/admin/omgang/{r}/stycke/{p}/"),
        ("get", f"/admin/omgang/{r}/stycke/{p}/redigera"),
        ("post", f"/admin/omgang/{r}/stycke/{p}/redigera"),
        ("post", f"/admin/omgang/{r}/stycke/{p}/flytta"),
        ("post", f"/admin/omgang/{r}/stycke/{p}/ta-bort"),
        ("get", f"/admin/omgang/{r}/avsnitt/{s}/"),
        ("get", f"/admin/omgang/{r}/avsnitt/{s}/redigera"),
        ("post", f"/admin/omgang/{r}/avsnitt/{s}/redigera"),
        ("get", f"/admin/omgang/{r}/andringar"),
    ]


DRAFT_ROUTE_COUNT = 10

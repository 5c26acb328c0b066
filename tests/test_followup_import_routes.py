"""The import and export pages of a strategy's follow-up: staff only (route × role matrix over
every followup.import_* rule), CSRF, the refusals shown row by row, the success message with
counts, the downloads and the larger upload limit."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from . import test_followup_import_actions as actions_tests
from .routes import endpoint_ids
from .test_followup_import_actions import (
    ACTION_HEADINGS,
    MILESTONE_HEADINGS,
    action_row,
    counts,
    csv_data,
)

world = actions_tests.world  # the same fixture

VALUE_HEADINGS = ["indikator", "område", "år", "värde"]
BASE = "/uppfoljning/rus/hantera"


def _actions_file():
    return (io.BytesIO(csv_data(ACTION_HEADINGS, [action_row("A-1", framsteg="40")])), "a.csv")


def _values_file():
    data = csv_data(VALUE_HEADINGS, [["N00914", "2480", "2022", "80,4"]], ";")
    return (io.BytesIO(data), "v.csv")


ROUTES = [
    ("get", f"{BASE}/import", "followup.import_page"),
    ("post", f"{BASE}/import/insatser", "followup.import_actions"),
    ("post", f"{BASE}/import/indikatorer", "followup.import_indicators"),
    ("get", f"{BASE}/export/insatser.xlsx", "followup.import_export_actions_xlsx"),
    ("get", f"{BASE}/export/insatser.csv", "followup.import_export_actions_csv"),
    ("get", f"{BASE}/export/milstolpar.csv", "followup.import_export_milestones_csv"),
    ("get", f"{BASE}/export/indikatorer.csv", "followup.import_export_indicators_csv"),
]
FILES = {
    "followup.import_actions": lambda: {"insatser": _actions_file()},
    "followup.import_indicators": lambda: {"indikatorer": _values_file()},
}


def test_the_matrix_lists_every_import_rule(app):
    rules = {
        (method.lower(), rule.rule, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("followup.import_")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {
        (method, url.replace("/rus/", "/<slug>/"), endpoint) for method, url, endpoint in ROUTES
    }
    assert rules == listed


def expected(role: str, method: str) -> int:
    if role == "anonymous":
        return 302
    if role in ("participant", "member"):
        return 403
    return 302 if method == "post" else 200


@pytest.mark.parametrize("role", ["anonymous", "participant", "member", "staff", "admin"])
@pytest.mark.parametrize("index", range(len(ROUTES)), ids=endpoint_ids(ROUTES))
def test_import_routes_by_role(client, auth, session, world, role, index):
    if role != "anonymous":
        auth.login(getattr(world, role))
    method, url, endpoint = ROUTES[index]
    before = counts(session)
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, data=FILES[endpoint](), content_type="multipart/form-data")
    assert response.status_code == expected(role, method), response.get_data(True)[:300]
    session.expire_all()
    if role == "anonymous":
        assert "/konto/logga-in" in response.headers["Location"]
    if expected(role, method) != 302 or role == "anonymous":
        assert counts(session) == before
    elif method == "post":
        assert response.headers["Location"].endswith(f"{BASE}/import")
        assert counts(session) != before


def test_an_unknown_strategy_is_not_found(client, auth, world):
    auth.login(world.staff)
    assert client.get("/uppfoljning/finns-inte/hantera/import").status_code == 404


def test_a_post_without_csrf_token_is_refused(client, auth, session, world):
    auth.login(world.staff)
    before = counts(session)
    for url, files in (
        (f"{BASE}/import/insatser", {"insatser": _actions_file()}),
        (f"{BASE}/import/indikatorer", {"indikatorer": _values_file()}),
    ):
        response = client.post(url, data=files, content_type="multipart/form-data", csrf=False)
        assert response.status_code == 400
    assert counts(session) == before


def test_the_page_describes_the_columns_and_offers_the_exports(client, auth, world):
    auth.login(world.staff)
    page = client.get(f"{BASE}/import").get_data(as_text=True)
    assert "<h1>Import och export</h1>" in page
    for name in ACTION_HEADINGS + MILESTONE_HEADINGS + VALUE_HEADINGS:
        assert f"<code>{name}</code>" in page
    assert "Ange ett helt procenttal" not in page
    assert "Hur långt insatsen har kommit, ett helt procenttal från 0 till 100." in page
    assert "kpi, municipality_id, period, value" in page
    assert 'for="insatser"' in page and 'for="indikatorer"' in page
    assert 'enctype="multipart/form-data"' in page
    for link in ("insatser.xlsx", "insatser.csv", "milstolpar.csv", "indikatorer.csv"):
        assert f'href="{BASE}/export/{link}"' in page
    assert "Högst 5 MB." in page


def test_a_bad_actions_file_is_shown_row_by_row_and_nothing_is_saved(client, auth, session, world):
    auth.login(world.staff)
    rows = [
        action_row("A-1"),
        action_row("A-2", mål="9.9"),
        action_row("A-3", framsteg="140"),
        action_row("A-1"),
    ]
    before = counts(session)
    response = client.post(
        f"{BASE}/import/insatser",
        data={"insatser": (io.BytesIO(csv_data(ACTION_HEADINGS, rows)), "insatser.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'role="alert"' in page and "data-autofocus" in page
    assert "Filen importerades inte och ingenting sparades." in page
    assert "Rad 3, kolumn mål: Strategin har inget mål med koden ”9.9”." in page
    assert "Rad 4, kolumn framsteg: Ange ett helt procenttal från 0 till 100." in page
    assert "Rad 5, kolumn kod: Koden används redan på rad 2." in page
    assert 'aria-describedby="insatser-hint import-problems"' in page
    session.expire_all()
    assert counts(session) == before


def test_a_bad_values_file_is_shown_row_by_row(client, auth, session, world):
    auth.login(world.staff)
    rows = [
        ["N00914", "9999", "2022", "1"],
        ["N00914", "2480", "2022", "många"],
        ["N00914", "2480", "1899", "1"],
        ["N00914", "2482", "2022", "1"],
        ["N00914", "2482", "2022", "2"],
    ]
    response = client.post(
        f"{BASE}/import/indikatorer",
        data={"indikatorer": (io.BytesIO(csv_data(VALUE_HEADINGS, rows)), "v.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Rad 2, kolumn område: Okänd områdeskod: 9999." in page
    assert "Rad 3, kolumn värde: Ange ett tal, till exempel 12,5." in page
    assert "Rad 4, kolumn år: Ange ett år från 1900 till 2100." in page
    assert "Rad 6, kolumn indikator: Samma indikator, område och år finns redan på rad 5." in page
    assert 'aria-describedby="indikatorer-hint import-problems"' in page


def test_an_upload_without_a_file_asks_for_one(client, auth, world):
    auth.login(world.staff)
    response = client.post(f"{BASE}/import/insatser", data={})
    assert response.status_code == 422
    assert "Välj en fil." in response.get_data(as_text=True)


def test_a_successful_import_says_what_it_did(client, auth, session, world):
    auth.login(world.staff)
    milestones = csv_data(MILESTONE_HEADINGS, [["A-1", "2024-01-01", "Start", "", ""]])
    response = client.post(
        f"{BASE}/import/insatser",
        data={"insatser": _actions_file(), "milstolpar": (io.BytesIO(milestones), "m.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Filen importerades: 1 nya och 0 uppdaterade insatser. 1 milstolpe." in page
    assert "Strategin har 1 insats." in page
    response = client.post(
        f"{BASE}/import/indikatorer",
        data={"indikatorer": _values_file()},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Indikatorvärdena importerades: 1 nya, 0 ändrade, 0 oförändrade." in page


def test_the_downloads_are_files_with_the_columns(client, auth, world):
    auth.login(world.staff)
    client.post(
        f"{BASE}/import/insatser",
        data={"insatser": _actions_file()},
        content_type="multipart/form-data",
    )
    response = client.get(f"{BASE}/export/insatser.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="rus-insatser.csv"'
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeffkod,titel,beskrivning")
    assert "A-1,Insats A-1" in body
    response = client.get(f"{BASE}/export/insatser.xlsx")
    assert response.headers["Content-Disposition"] == 'attachment; filename="rus-insatser.xlsx"'
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["Insatser", "Milstolpar"]
    assert book["Insatser"]["A2"].value == "A-1"
    response = client.get(f"{BASE}/export/milstolpar.csv")
    assert response.get_data(as_text=True).startswith("\ufeffinsats,datum,titel")
    response = client.get(f"{BASE}/export/indikatorer.csv")
    assert response.get_data(as_text=True).startswith("\ufeffindikator,område,år,värde")


def test_a_file_over_the_limit_gets_the_limit_shown(app, client, auth, session, world):
    app.config["FOLLOWUP_IMPORT_MAX_BYTES"] = 3 * 1024 * 1024
    auth.login(world.staff)
    big = csv_data(ACTION_HEADINGS, [action_row("A-1", beskrivning="x" * 3_200_000)])
    before = counts(session)
    response = client.post(
        f"{BASE}/import/insatser",
        data={"insatser": (io.BytesIO(big), "stor.csv")},
        content_type="multipart/form-data",
    )
    # The test client keeps a large request body in a temporary file and leaves it open.
    response.request.input_stream.close()
    # Larger than the site-wide limit of 2 MB, but read for staff and refused with a message.
    assert response.status_code == 422
    assert "Filen är för stor: högst 3 MB." in response.get_data(as_text=True)
    session.expire_all()
    assert counts(session) == before


def _multipart(token: str, name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "consult-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="x.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_far_larger_request_is_refused_unread_with_a_message(client, auth, session, world):
    auth.login(world.staff)
    before = counts(session)
    body, content_type = _multipart(client.csrf_token(), "indikatorer", b"a" * (12 * 1024 * 1024))
    response = client.post(
        f"{BASE}/import/indikatorer", data=body, content_type=content_type, csrf=False
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{BASE}/import")
    page = client.get(f"{BASE}/import").get_data(as_text=True)
    assert "Filen är för stor: högst 5 MB. Ingenting sparades." in page
    assert counts(session) == before


def test_the_larger_limit_is_only_for_staff(client, auth, world):
    auth.login(world.participant)
    body, content_type = _multipart(client.csrf_token(), "indikatorer", b"a" * (3 * 1024 * 1024))
    response = client.post(
        f"{BASE}/import/indikatorer", data=body, content_type=content_type, csrf=False
    )
    assert response.status_code == 413

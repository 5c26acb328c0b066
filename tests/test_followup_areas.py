"""Swedish area codes: all 21 counties and 290 municipalities, the same names as the
registration form's list."""

from __future__ import annotations

from consult import areas
from consult.people import municipalities


def test_all_counties_and_municipalities():
    counties = {c: n for c, n in areas.COUNTIES.items() if c != areas.COUNTRY}
    assert len(counties) == 21
    assert areas.COUNTIES["00"] == "Sverige"
    assert areas.COUNTIES["01"] == "Stockholms län"
    assert areas.COUNTIES["14"] == "Västra Götalands län"
    assert areas.COUNTIES["25"] == "Norrbottens län"
    assert len(areas.MUNICIPALITIES) == 290
    assert all(len(code) == 4 and code.isdigit() for code in areas.MUNICIPALITIES)


def test_names_match_the_registration_forms_list():
    assert set(areas.MUNICIPALITIES.values()) == municipalities.ALL
    assert len(set(areas.MUNICIPALITIES.values())) == 290
    assert set(areas.COUNTIES.values()) - {"Sverige"} == set(municipalities.BY_COUNTY)


def test_each_municipality_lies_in_the_county_the_form_puts_it_in():
    code_of_county = {n: c for c, n in areas.COUNTIES.items()}
    for county, names in municipalities.BY_COUNTY.items():
        code = code_of_county[county]
        assert {n for _, n in areas.municipalities_in(code)} == set(names), county
        for mcode, mname in areas.MUNICIPALITIES.items():
            if mname in names:
                assert mcode[:2] == code and areas.county_of(mcode) == code


def test_well_known_codes():
    assert areas.name("0180") == "Stockholm"
    assert areas.name("1480") == "Göteborg"
    assert areas.name("1280") == "Malmö"
    assert areas.name("0380") == "Uppsala"
    assert areas.name("2480") == "Umeå"
    assert areas.name("0980") == "Gotland" and areas.county_of("0980") == "09"


def test_known_name_county_of_and_municipalities_in():
    assert areas.known("00") and areas.known("24") and areas.known("2482")
    assert not areas.known("2499") and not areas.known("02") and not areas.known("")
    assert areas.name("9999") == "9999"
    assert areas.county_of("24") == "24" and areas.county_of("00") is None
    assert areas.county_of("9999") is None
    home = areas.municipalities_in(areas.HOME_COUNTY)
    assert len(home) == 15 and home[0] == ("2401", "Nordmaling")
    assert [c for c, _ in areas.municipalities_in("01")] == sorted(
        c for c in areas.MUNICIPALITIES if c.startswith("01")
    )

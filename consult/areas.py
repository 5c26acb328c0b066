"""Swedish areas by their official codes (SCB's county and municipality codes): the county
"24" (Västerbottens län) and its municipalities "2480" (Umeå) and so on. Follow-up data
(indicator values, where an action is carried out) names areas by these codes, as open-data
portals such as Kolada do; "00" is Sweden as a whole.
"""

from __future__ import annotations

COUNTRY = "00"
HOME_COUNTY = "24"

COUNTIES: dict[str, str] = {
    "00": "Sverige",
    "24": "Västerbottens län",
}

MUNICIPALITIES: dict[str, str] = {
    "2401": "Nordmaling",
    "2403": "Bjurholm",
    "2404": "Vindeln",
    "2409": "Robertsfors",
    "2417": "Norsjö",
    "2418": "Malå",
    "2421": "Storuman",
    "2422": "Sorsele",
    "2425": "Dorotea",
    "2460": "Vännäs",
    "2462": "Vilhelmina",
    "2463": "Åsele",
    "2480": "Umeå",
    "2481": "Lycksele",
    "2482": "Skellefteå",
}


def known(code: str) -> bool:
    """Whether ``code`` is Sweden, a county or a municipality."""
    return code in COUNTIES or code in MUNICIPALITIES


def name(code: str) -> str:
    """The area's name ("Umeå", "Västerbottens län"), or the code itself if unknown."""
    return MUNICIPALITIES.get(code) or COUNTIES.get(code) or code


def county_of(code: str) -> str | None:
    """The county code of a municipality or county code; None for Sweden or unknown codes."""
    if code in MUNICIPALITIES or (code in COUNTIES and code != COUNTRY):
        return code[:2]
    return None


def municipalities_in(county: str) -> list[tuple[str, str]]:
    """The county's municipalities as (code, name), by code."""
    return sorted((c, n) for c, n in MUNICIPALITIES.items() if c.startswith(county))

"""Sweden's 290 municipalities (kommuner), by county, for the place a private individual gives.

Västerbotten's come first in the registration form: the region that runs the demo is there.
"""

from __future__ import annotations

HOME_COUNTY = "Västerbottens län"

BY_COUNTY: dict[str, tuple[str, ...]] = {
    "Stockholms län": (
        "Botkyrka", "Danderyd", "Ekerö", "Haninge", "Huddinge", "Järfälla", "Lidingö", "Nacka",
        "Norrtälje", "Nykvarn", "Nynäshamn", "Salem", "Sigtuna", "Sollentuna", "Solna",
        "Stockholm", "Sundbyberg", "Södertälje", "Tyresö", "Täby", "Upplands-Bro",
        "Upplands Väsby", "Vallentuna", "Vaxholm", "Värmdö", "Österåker",
    ),
    "Uppsala län": (
        "Enköping", "Heby", "Håbo", "Knivsta", "Tierp", "Uppsala", "Älvkarleby", "Östhammar",
    ),
    "Södermanlands län": (
        "Eskilstuna", "Flen", "Gnesta", "Katrineholm", "Nyköping", "Oxelösund", "Strängnäs",
        "Trosa", "Vingåker",
    ),
    "Östergötlands län": (
        "Boxholm", "Finspång", "Kinda", "Linköping", "Mjölby", "Motala", "Norrköping",
        "Söderköping", "Vadstena", "Valdemarsvik", "Ydre", "Åtvidaberg", "Ödeshög",
    ),
    "Jönköpings län": (
        "Aneby", "Eksjö", "Gislaved", "Gnosjö", "Habo", "Jönköping", "Mullsjö", "Nässjö",
        "Sävsjö", "Tranås", "Vaggeryd", "Vetlanda", "Värnamo",
    ),
    "Kronobergs län": (
        "Alvesta", "Lessebo", "Ljungby", "Markaryd", "Tingsryd", "Uppvidinge", "Växjö",
        "Älmhult",
    ),
    "Kalmar län": (
        "Borgholm", "Emmaboda", "Hultsfred", "Högsby", "Kalmar", "Mönsterås", "Mörbylånga",
        "Nybro", "Oskarshamn", "Torsås", "Vimmerby", "Västervik",
    ),
    "Gotlands län": ("Gotland",),
    "Blekinge län": ("Karlshamn", "Karlskrona", "Olofström", "Ronneby", "Sölvesborg"),
    "Skåne län": (
        "Bjuv", "Bromölla", "Burlöv", "Båstad", "Eslöv", "Helsingborg", "Hässleholm",
        "Höganäs", "Hörby", "Höör", "Klippan", "Kristianstad", "Kävlinge", "Landskrona",
        "Lomma", "Lund", "Malmö", "Osby", "Perstorp", "Simrishamn", "Sjöbo", "Skurup",
        "Staffanstorp", "Svalöv", "Svedala", "Tomelilla", "Trelleborg", "Vellinge", "Ystad",
        "Åstorp", "Ängelholm", "Örkelljunga", "Östra Göinge",
    ),
    "Hallands län": ("Falkenberg", "Halmstad", "Hylte", "Kungsbacka", "Laholm", "Varberg"),
    "Västra Götalands län": (
        "Ale", "Alingsås", "Bengtsfors", "Bollebygd", "Borås", "Dals-Ed", "Essunga",
        "Falköping", "Färgelanda", "Grästorp", "Gullspång", "Göteborg", "Götene", "Herrljunga",
        "Hjo", "Härryda", "Karlsborg", "Kungälv", "Lerum", "Lidköping", "Lilla Edet", "Lysekil",
        "Mariestad", "Mark", "Mellerud", "Munkedal", "Mölndal", "Orust", "Partille", "Skara",
        "Skövde", "Sotenäs", "Stenungsund", "Strömstad", "Svenljunga", "Tanum", "Tibro",
        "Tidaholm", "Tjörn", "Tranemo", "Trollhättan", "Töreboda", "Uddevalla", "Ulricehamn",
        "Vara", "Vårgårda", "Vänersborg", "Åmål", "Öckerö",
    ),
    "Värmlands län": (
        "Arvika", "Eda", "Filipstad", "Forshaga", "Grums", "Hagfors", "Hammarö", "Karlstad",
        "Kil", "Kristinehamn", "Munkfors", "Storfors", "Sunne", "Säffle", "Torsby", "Årjäng",
    ),
    "Örebro län": (
        "Askersund", "Degerfors", "Hallsberg", "Hällefors", "Karlskoga", "Kumla", "Laxå",
        "Lekeberg", "Lindesberg", "Ljusnarsberg", "Nora", "Örebro",
    ),
    "Västmanlands län": (
        "Arboga", "Fagersta", "Hallstahammar", "Kungsör", "Köping", "Norberg", "Sala",
        "Skinnskatteberg", "Surahammar", "Västerås",
    ),
    "Dalarnas län": (
        "Avesta", "Borlänge", "Falun", "Gagnef", "Hedemora", "Leksand", "Ludvika",
        "Malung-Sälen", "Mora", "Orsa", "Rättvik", "Smedjebacken", "Säter", "Vansbro",
        "Älvdalen",
    ),
    "Gävleborgs län": (
        "Bollnäs", "Gävle", "Hofors", "Hudiksvall", "Ljusdal", "Nordanstig", "Ockelbo",
        "Ovanåker", "Sandviken", "Söderhamn",
    ),
    "Västernorrlands län": (
        "Härnösand", "Kramfors", "Sollefteå", "Sundsvall", "Timrå", "Ånge", "Örnsköldsvik",
    ),
    "Jämtlands län": (
        "Berg", "Bräcke", "Härjedalen", "Krokom", "Ragunda", "Strömsund", "Åre", "Östersund",
    ),
    "Västerbottens län": (
        "Bjurholm", "Dorotea", "Lycksele", "Malå", "Nordmaling", "Norsjö", "Robertsfors",
        "Skellefteå", "Sorsele", "Storuman", "Umeå", "Vilhelmina", "Vindeln", "Vännäs", "Åsele",
    ),
    "Norrbottens län": (
        "Arjeplog", "Arvidsjaur", "Boden", "Gällivare", "Haparanda", "Jokkmokk", "Kalix",
        "Kiruna", "Luleå", "Pajala", "Piteå", "Älvsbyn", "Överkalix", "Övertorneå",
    ),
}

ALL: frozenset[str] = frozenset(name for names in BY_COUNTY.values() for name in names)

_SWEDISH = "abcdefghijklmnopqrstuvwxyzåäö"


def _swedish_order(name: str) -> list[int]:
    # Swedish alphabetical order: å, ä, ö come after z (the default sort puts them elsewhere).
    return [_SWEDISH.find(ch) if ch in _SWEDISH else ord(ch) for ch in name.casefold()]


def others() -> list[str]:
    """Return every municipality outside the home county, in Swedish alphabetical order."""
    return sorted(ALL - set(BY_COUNTY[HOME_COUNTY]), key=_swedish_order)


def home() -> list[str]:
    """Return the home county's municipalities in Swedish alphabetical order."""
    return sorted(BY_COUNTY[HOME_COUNTY], key=_swedish_order)

"""The consultation genre's own vocabulary: words any comment on any draft may use.

"Kapitlet bör nämna …", "Strategin saknar …", "We welcome the proposal …": these words say
that a text is a consultation comment, not what it is about. They are left out of the
features that form themes (``without_genre``) and never name one. Words a particular
corpus spreads evenly over all its themes are learned per corpus on top of these (see
``naming.topicless``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .text import lemma_of, stop_words

# Lemmas (as spaCy's lookup tables give them) of the genre's words, Swedish and English.
GENRE_LEMMAS = frozenset(
    """
    strategi strategisk förslag förslagen kapitel avsnitt stycke text skrivning formulering
    mening rubrik punkt lista dokument utkast remiss remissvar synpunkt kommentar inriktning
    böra nämna viktig tycka sakna föreslå anse mena framgå beskriva beskrivning lyfta
    välkomna tack bra positiv tydlig tydligare konkret konkreta del hel vilja ställa
    instämma understryka efterlysa önska tydliggöra lägga komplettera skriva riktig
    strategy strategic proposal proposals chapter section paragraph text draft wording
    point list document consultation comment should mention important think lack suggest
    believe welcome thank good positive clear clearer concrete part whole want
    """.split()
)
# Surface forms the lookup tables do not bring back to one of the lemmas above.
GENRE_FORMS = frozenset(
    """
    bör borde nämns nämnas saknas framgår kapitlet kapitlen strategin strategins förslaget
    avsnittet texten skrivningen punkten punkterna viktigt viktiga tydligt tydligare
    should would mentioned chapters sections
    """.split()
)
# What ``naming`` and its measurements treat as genre words, surface forms included.
GENRE_WORDS = GENRE_LEMMAS | GENRE_FORMS
# Swedish function words spaCy's stop list lacks ("Kollektivtrafiken är" was a theme's name).
FUNCTION_WORDS = frozenset(
    """
    är dom denna dessa samt fortfarande ju väl just sådan sådana själva själv egen egna ens
    kring utifrån trots hos åt tas tar ta tog står stå stod behöver behövs ger ge gav dock
    däribland exempelvis såsom respektive dvs längs runt bortom utöver förutom inklusive
    beträffande angående ovanför nedanför bredvid intill medan således endast sällan
    istället pga osv etc ex bl mfl
    """.split()
)

# Fixed expressions whose nouns carry no topic ("i samband med upphandlingar" is about
# procurement, not about connections): the words of an occurrence are function words.
FIXED_EXPRESSIONS = (
    "i samband med", "med hjälp av", "på grund av", "i stället för", "i form av",
    "när det gäller", "till exempel", "i fråga om", "i förhållande till", "i takt med",
    "med tanke på", "i syfte att", "i enlighet med", "i och med", "i princip", "i dag",
    "för närvarande", "i första hand", "i övrigt",
    "in order to", "as well as", "for example", "in terms of", "with regard to",
    "on behalf of", "in relation to",
)  # fmt: skip
_EXPRESSIONS_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _words in (expression.split() for expression in FIXED_EXPRESSIONS):
    _EXPRESSIONS_BY_FIRST.setdefault(_words[0], []).append(tuple(_words))
del _words

_TOKEN = re.compile(r"[^\W_]+")


@lru_cache(maxsize=200_000)
def is_genre(word: str, lang: str = "sv") -> bool:
    """True if the lower-case ``word`` (any inflection) is one of the genre's own words."""
    if word in GENRE_WORDS:
        return True
    return lemma_of(word, lang) in GENRE_LEMMAS


@lru_cache(maxsize=200_000)
def is_filler(word: str, lang: str = "sv") -> bool:
    """True if the lower-case ``word`` carries no topic at all: a function word (or an
    inflection of one: "är" of "vara") or a genre word."""
    if word in FUNCTION_WORDS or is_genre(word, lang):
        return True
    stops = _stop_words()
    return word in stops or lemma_of(word, lang) in stops


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    return stop_words("sv") | stop_words("en")


def without_genre(clean: Iterable[str]) -> list[str]:
    """Return lower-cased texts without their genre words (each chunk checked once), so
    that the genre's words never make a theme; a text made only of them is kept whole."""
    dropped: dict[str, bool] = {}
    out = []
    for text in clean:
        kept = []
        for chunk in text.split(" "):
            drop = dropped.get(chunk)
            if drop is None:
                words = _TOKEN.findall(chunk)
                drop = dropped[chunk] = bool(words) and all(map(is_genre, words))
            if not drop:
                kept.append(chunk)
        out.append(" ".join(kept) if kept else text)
    return out


def in_fixed_expressions(words: list[str]) -> set[int]:
    """Return the positions of the lower-case ``words`` that are part of a fixed expression
    (``FIXED_EXPRESSIONS``)."""
    found = set()
    for i, word in enumerate(words):
        for expression in _EXPRESSIONS_BY_FIRST.get(word, ()):
            if tuple(words[i : i + len(expression)]) == expression:
                found.update(range(i, i + len(expression)))
    return found

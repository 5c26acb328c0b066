"""Text handling for Swedish first, English too: normalisation, language, lemmas.

Lemmas come from spaCy's tokenizer (``spacy.blank``) and the lookup tables of
``spacy-lookups-data``: both installed packages, nothing is downloaded. Tokens are
lower-cased before lookup, because the tables are keyed on lower-case forms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np

# Longer texts are cut: no comment needs more to be understood, and it bounds the work.
MAX_CHARS = 20_000

_REPLACEMENTS = {
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2039": "'", "\u203a": "'",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ",
}  # fmt: skip
# One regex pass is about twice as fast as str.translate with a dict on long corpora.
_REPLACEABLE = re.compile("[" + "".join(_REPLACEMENTS) + "]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_LETTERS = re.compile(r"[^\W\d_]+")

SUPPORTED = ("sv", "en")
# Languages we can tell apart by their function words (spaCy ships the lists).
_DETECTABLE = {
    "sv": "sv",
    "en": "en",
    "nb": "no",
    "da": "da",
    "fi": "fi",
    "de": "de",
    "fr": "fr",
    "es": "es",
}


def normalise(text: str) -> str:
    """Return ``text`` in NFKC with plain quotes, no control characters, single spaces."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2])
    text = _REPLACEABLE.sub(lambda m: _REPLACEMENTS[m.group()], text)
    text = _CONTROL.sub("", text)
    # str.split splits at exactly the characters regex's \s matches, three times faster.
    return " ".join(text.split())[:MAX_CHARS]


@lru_cache(maxsize=1)
def _stop_lists() -> dict[str, frozenset[str]]:
    import importlib

    lists = {}
    for spacy_code, iso in _DETECTABLE.items():
        module = importlib.import_module(f"spacy.lang.{spacy_code}.stop_words")
        lists[iso] = frozenset(w.lower() for w in module.STOP_WORDS)
    return lists


def stop_words(lang: str) -> frozenset[str]:
    """Return the stop words of ``lang`` ("sv" or "en")."""
    return _stop_lists()[lang]


def language(text: str) -> str:
    """Return the ISO code of the language of ``text``: "sv", "en", another code, or "und".

    Decided by function words (the most frequent words of a language), with the letters
    å/ä/ö and æ/ø to separate the Scandinavian languages; "und" when there is too little
    text to tell.
    """
    return _detect([w.lower() for w in _WORD.findall(normalise(text))])


def _detect(words: list[str]) -> str:
    if len(words) < 2:
        return "und"
    lists = _stop_lists()
    scores = {iso: sum(w in stops for w in words) / len(words) for iso, stops in lists.items()}
    letters = set("".join(words))
    if letters & set("æø"):
        scores["sv"] *= 0.5
    if letters & set("äö"):
        scores["da"] *= 0.5
        scores["no"] *= 0.5
    if "å" in letters or "ä" in letters:
        scores["en"] *= 0.5
    best = max(scores, key=scores.get)
    if scores[best] < 0.12 and len(words) < 6 or scores[best] == 0:
        return "und"
    return best


@lru_cache(maxsize=2)
def _pipeline(lang: str):
    import spacy

    return spacy.blank(lang)


@lru_cache(maxsize=2)
def _lemma_table(lang: str):
    from spacy.lookups import load_lookups

    return load_lookups(lang, ["lemma_lookup"]).get_table("lemma_lookup")


def lemma_language(lang: str) -> str:
    """Return the lemma table used for ``lang``: its own for sv/en, else Swedish."""
    return lang if lang in SUPPORTED else "sv"


def lemma_of(word: str, lang: str = "sv") -> str:
    """Return the lemma of one lower-case word in ``lang`` (the word itself if unknown)."""
    return _lemma_table(lemma_language(lang)).get(word, word)


def lemmas(text: str, lang: str | None = None, keep_stop_words: bool = False) -> list[str]:
    """Return the lower-case lemmas of the words in ``text`` (stop words left out by default)."""
    return next(iter(lemmatise([text], lang, keep_stop_words)))


def lemmatise(
    texts: Iterable[str], lang: str | None = None, keep_stop_words: bool = False
) -> Iterable[list[str]]:
    """Yield the lemmas of each text; ``lang=None`` detects Swedish or English per text."""
    for text in texts:
        clean = normalise(text).lower()
        code = lemma_language(lang or _detect(_WORD.findall(clean)))
        out: list[str] = []
        for chunk in clean.split(" "):
            out.extend(chunk_lemmas(chunk, code, keep_stop_words))
        yield out


# Lemmas of whitespace-separated chunks already seen, per language: most chunks recur, and
# spaCy's tokenizer splits at spaces first, so a chunk's lemmas do not depend on its context.
_CACHE_LIMIT = 500_000


@lru_cache(maxsize=4)
def _chunk_cache(code: str, keep_stop_words: bool) -> dict[str, tuple[str, ...]]:
    return {}


def chunk_lemmas(chunk: str, code: str, keep_stop_words: bool = False) -> tuple[str, ...]:
    """Return the lemmas of one lower-case, space-free chunk of text (cached)."""
    cache = _chunk_cache(code, keep_stop_words)
    found = cache.get(chunk)
    if found is None:
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        words = (_lemma_of(token, code, keep_stop_words) for token in _tokens(chunk, code))
        found = cache[chunk] = tuple(w for w in words if w is not None)
    return found


def _tokens(chunk: str, code: str) -> list[str]:
    """Return spaCy's tokens of one chunk. A chunk of letters only is its own one token
    unless the tokenizer has a special case for it ("cannot"): asking the tokenizer would
    say the same, slower (skipping it halved the lemma tables of 10,000 comments)."""
    tokenizer = _pipeline(code).tokenizer
    if _LETTERS.fullmatch(chunk) and chunk not in tokenizer.rules:
        return [chunk]
    return [token.text for token in tokenizer(chunk)]


def _lemma_of(word: str, code: str, keep_stop_words: bool) -> str | None:
    """The lemma of one lower-case token, or None for non-words and (by default) stop words."""
    if not _WORD.fullmatch(word):
        return None
    lemma = _lemma_table(code).get(word, word)
    stops = _all_stop_words()
    if not keep_stop_words and (word in stops or lemma in stops):
        return None
    return lemma


@lru_cache(maxsize=1)
def _all_stop_words() -> frozenset[str]:
    return _stop_lists()["sv"] | _stop_lists()["en"]


def chunk_evidence(chunks: Sequence[str]) -> np.ndarray:
    """Return, per chunk, what ``_detect`` counts: stop words of each detectable language,
    words, and whether the words hold æ/ø, ä/ö, å/ä (columns in ``_EVIDENCE`` order)."""
    lists = _stop_lists()
    out = np.zeros((len(chunks), len(lists) + 4), dtype=np.float32)
    for row, chunk in enumerate(chunks):
        words = _WORD.findall(chunk)
        if not words:
            continue
        for col, stops in enumerate(lists.values()):
            out[row, col] = sum(w in stops for w in words)
        letters = set("".join(words))
        out[row, -4:] = (len(words), bool(letters & _NORDIC), bool(letters & _UMLAUTS),
                         bool(letters & _SWEDISH))  # fmt: skip
    return out


_NORDIC, _UMLAUTS, _SWEDISH = set("æø"), set("äö"), set("åä")


def detect_from_evidence(evidence: np.ndarray) -> list[str]:
    """Decide each row's language from summed ``chunk_evidence`` rows, exactly as ``_detect``
    decides from the words themselves (so a corpus is detected with a few array operations)."""
    codes = list(_stop_lists())
    words = evidence[:, -4]
    scores = evidence[:, : len(codes)] / np.maximum(words, 1)[:, None]
    scores[evidence[:, -3] > 0, codes.index("sv")] *= 0.5
    scores[np.ix_(evidence[:, -2] > 0, [codes.index("da"), codes.index("no")])] *= 0.5
    scores[evidence[:, -1] > 0, codes.index("en")] *= 0.5
    best = scores.argmax(axis=1)
    top = scores[np.arange(len(best)), best]
    unknown = (words < 2) | ((top < 0.12) & (words < 6)) | (top == 0)
    return ["und" if u else codes[b] for u, b in zip(unknown.tolist(), best.tolist(), strict=True)]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(text: str) -> list[str]:
    """Split normalised ``text`` into sentences (at ., ! or ? followed by a space)."""
    return [part for part in _SENTENCE_END.split(normalise(text)) if part]

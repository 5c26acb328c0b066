"""Theme names, keywords and descriptions in the words the comments use.

A theme is named by what its comments say and the other comments do not:

1. Each text (a sample of each theme's) is cut into clauses at punctuation. Candidate
   phrases are runs of one to three words that begin and end with a content word (neither
   a stop word nor one of the genre's own words nor a word inside a fixed expression such as
   "i samband med", see ``genre``). Phrases are compared by their lemmas, so that
   "bostäder" and "bostad" count together, but always shown as the comments write them:
   every word a person sees occurs as written in the theme's texts.
2. Per theme and phrase: the share of the theme's texts that use it (of its texts in one
   language, where all of its uses are in that language and that language makes a quarter
   of the theme or more), against the share of all other texts (each theme weighted by its size).
   A phrase scores its share in the theme times the log of that ratio (frequent and
   distinctive), a little more for longer ones.
3. Words this corpus spreads evenly over its themes ("Västerbotten" in a county's
   consultation) carry no topic here: they are learned per corpus (``topicless``) and, like
   the genre's words, never begin or end a name.
4. The name is the best phrase. A single word grows into the longer phrase most of its uses
   belong to ("samisk" → "samisk kultur"), or is joined by the next best phrase of other
   words ("Stambanan och pendling"). A phrase that begins with a name (a word always
   written with a capital: a place, an organisation) gives way to the best phrase of common
   words if that scores ``TOPIC_FIRST`` of it ("Unga och inlandet", not "Bjurholm och unga");
   a theme whose comments share only a place is named by the place. A theme with no phrase
   at least ``MIN_LIFT`` times more common inside than outside has no topic of its own: it
   gets no name (``label`` None), and the engine dissolves it.
5. Keywords are the best single words; ``terms`` every form of them the theme's texts use,
   for marking in a comment what ties it to its theme.
6. The description is the sentence (or list item) of the most typical text that uses the
   name, shortened at a clause boundary.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .genre import in_fixed_expressions, is_filler
from .groups import membership
from .text import language, lemma_of, normalise, sentences

PER_THEME = 200  # texts of a theme read to name it (a random sample of larger themes)
MAX_WORDS = 3
MIN_LIFT = 2.0
MIN_SHARE = 0.08  # of the theme's texts a name's phrase must be used in (and by two)
LONGER_BONUS = 0.2  # per extra word of a phrase
EVEN_THEMES = 0.6  # a word in at least this share of the themes,
EVEN_LIFT = 2.0  # and in no theme this much more common than in the corpus, is topicless
GROW = 0.4  # a word grows into a longer phrase holding at least this share of its uses
TOPIC_FIRST = 0.4  # a common phrase scoring this share of a proper name's leads before it
SECOND = 0.35  # a second phrase joins a one-word name scoring at least this share of it
OWN_LANGUAGE = 0.25  # of a theme's texts a language must make to weigh its phrases alone
KEYWORDS = 8
TERMS = 15
DESCRIPTION_CHARS = 160
CONNECTOR = {"sv": "och", "en": "and"}
# Words allowed inside a three-word phrase ("skog och mark", "tåg till inlandet").
JOINING = frozenset("och i på av till för med mot om från and of for in on to with from".split())
# A word mostly written right after one of these is used as a verb ("det låter", "vi tycker",
# "hur förhåller"): it does not begin or end a name. Nouns follow articles and prepositions.
VERB_CUES = frozenset(
    """jag vi du ni han hon den det de man som att ska skall kan kunde måste behöver bör
    borde vill skulle får fick har hade är var blir blev inte också även hur varför när
    we you he she it they who that to can could must should will would may might not
    also how why when does do did has have had is are was were""".split()
)
VERB_SHARE = 0.5
ARTICLES = frozenset("den det de".split())  # verb cues that are also definite articles
# A word mostly followed by another content word modifies it ("samisk kultur"): it does
# not end a name.
MODIFIER_SHARE = 0.6

_CLAUSE = re.compile(r"[.,;:!?()\[\]{}\"|/\n\t•–—]+|\s-+\s|^-+\s")
_WORD = re.compile(r"[^\W_](?:[^\W_]|[-'](?=[^\W_]))*")
_LETTER = re.compile(r"[^\W\d_]")
_LIST_MARK = re.compile(r"^(?:(?:[-–—•*]|\d{1,2}\)(?=\s))\s*)+")  # "- ", "•", "2) "
_NUMBERED = re.compile(r"^\d{1,2}\.\s+")  # "2. " beginning a line: an item of a numbered list
_BOUNDARY = re.compile(r",\s|;\s|:\s|\s[–—-]\s|\s(?:och|men|eller|samt|and|but|or)\s")


@dataclass
class Naming:
    """What a person reads about one theme."""

    label: str | None  # None: nothing distinctive, the theme has no topic of its own
    keywords: list[str]
    terms: list[str]  # lower-case word forms that tie a text to the theme
    description: str


@dataclass
class _Phrase:
    key: tuple[str, ...]  # lemmas
    score: float
    df: float  # share of the theme's texts using it


class _Reading:
    """Phrases of the sampled texts: a texts × phrases 0/1 matrix, and their written forms."""

    def __init__(self):
        self.index: dict[tuple[str, ...], int] = {}
        self.keys: list[tuple[str, ...]] = []
        self.rows: list[list[int]] = []
        # Per phrase: its written forms, lower-cased and as cased.
        self.forms: list[Counter] = []
        self.cased: list[Counter] = []
        self.languages: list[Counter] = []  # per phrase: the languages of the texts using it
        # Per one-word phrase: its uses, those right after a verb cue, those before a word.
        self.uses, self.after_cue, self.before_word = Counter(), Counter(), Counter()

    def add(self, text: str) -> str:
        """Read one text; return its language as told ("sv", "en", another code, "und")."""
        clean = normalise(text)
        told = language(clean)
        lang = _read_as(told)
        found = set()
        for clause in _CLAUSE.split(clean):
            words = _WORD.findall(clause)
            lower = [w.lower() for w in words]
            lemmas = [lemma_of(w, lang) for w in lower]
            fixed = in_fixed_expressions(lower)
            content = [_is_content(w, lang) and i not in fixed for i, w in enumerate(lower)]
            for i in range(len(words)):
                if not content[i]:
                    continue
                for j in range(i, min(i + MAX_WORDS, len(words))):
                    if not content[j]:
                        if j > i and lower[j] not in JOINING:
                            break
                        continue
                    column = self._column(tuple(lemmas[i : j + 1]))
                    if j == i:
                        before = lower[i - 1] if i else ""
                        modifies = j + 1 < len(words) and content[j + 1]
                        if (
                            lang == "sv"
                            and modifies
                            and before in ARTICLES
                            and definite(lower[j + 1], lemmas[j + 1])
                        ):
                            before = ""  # "det lågtrafikerade vägnätet", not "det låter"
                        self._note_use(
                            column,
                            before,
                            modifies,
                            lang == "sv" and swedish_verb_form(lower[i], lemmas[i]),
                        )
                    found.add(column)
                    self.forms[column][" ".join(lower[i : j + 1])] += 1
                    self.cased[column][" ".join(words[i : j + 1])] += 1
        self.rows.append(sorted(found))
        if told in CONNECTOR:  # a text too short to tell says nothing of its phrases
            for column in found:
                self.languages[column][told] += 1
        return told

    def _note_use(self, column: int, before: str, modifies: bool, verb_form: bool) -> None:
        self.uses[column] += 1
        self.after_cue[column] += verb_form or before in VERB_CUES
        self.before_word[column] += modifies

    def verb_like(self, column: int) -> bool:
        """True if the word is mostly used as a verb (see ``VERB_CUES``)."""
        return self.after_cue[column] >= VERB_SHARE * self.uses[column]

    def modifier(self, column: int) -> bool:
        """True if the word mostly comes right before another content word."""
        return self.before_word[column] > MODIFIER_SHARE * self.uses[column]

    def nameable(self, key: tuple[str, ...]) -> bool:
        """True if a phrase can be a name: it neither begins nor ends with a verb, nor ends
        with a word that modifies the next."""
        first, last = self.index.get(key[:1]), self.index.get(key[-1:])
        if first is None or last is None:
            return False
        return not (self.verb_like(first) or self.verb_like(last) or self.modifier(last))

    def _column(self, key: tuple[str, ...]) -> int:
        column = self.index.get(key)
        if column is None:
            column = self.index[key] = len(self.keys)
            self.keys.append(key)
            self.forms.append(Counter())
            self.cased.append(Counter())
            self.languages.append(Counter())
        return column

    def matrix(self) -> sp.csr_matrix:
        indptr = np.cumsum([0] + [len(r) for r in self.rows])
        indices = np.fromiter((c for r in self.rows for c in r), dtype=np.int64)
        data = np.ones(len(indices), dtype=np.float32)
        return sp.csr_matrix((data, indices, indptr), shape=(len(self.rows), len(self.keys)))

    def in_language(self, column: int, lang: str) -> bool:
        """True if no other language's texts use the phrase more often than ``lang``'s."""
        used = self.languages[column]
        return not used or used[lang] == max(used.values())

    def proper(self, column: int) -> bool:
        """True if the phrase begins with a word always written with a capital: a name."""
        return self.shown(column)[:1].isupper()

    def shown(self, column: int) -> str:
        """The phrase as the comments write it most often: a word written in lower case
        anywhere, in any of its forms, is shown so (a capital at the start of a sentence or
        of a table's cell is not the word's: "utgångsläget" makes "Utgångsläge 2019" show as
        "utgångsläge"); a word always capitalised keeps its capital ("Norrbotniabanan")."""
        form = self.forms[column].most_common(1)[0][0]
        cased = [c for c, _ in self.cased[column].most_common() if c.lower() == form]
        written = [c.split() for c in self.cased[column]]
        shown = cased[0].split()
        for i, word in enumerate(shown):
            if any(w[i].islower() for w in written):
                shown[i] = word.lower()
        return " ".join(shown)


def definite(word: str, lemma: str) -> bool:
    """True if ``word`` looks like a Swedish noun in its definite form ("vägnätet",
    "kulturen", "kommunerna"): an inflection of its lemma ending as definite nouns do."""
    return word != lemma and word.endswith(("en", "et", "na"))


def swedish_verb_form(word: str, lemma: str) -> bool:
    """True if ``word`` is an inflected form of a Swedish verb: present ("låter",
    "prioriterar", "förstår"), passive ("prioriteras"), past ("prioriterade", "köpte") or
    supine ("prioriterat")."""
    if word == lemma or len(lemma) < 2:
        return False
    if lemma[-1] in "eiouyåäö":  # present tense of a verb in another vowel ("förstår", "tror")
        return word == lemma + "r"
    if not lemma.endswith("a"):
        return False
    stem = lemma[:-1]
    return word in (
        lemma + "r", lemma + "s", lemma + "de", lemma + "des", lemma + "t", stem + "er",
        stem + "s", stem + "de", stem + "te", stem + "t",
    )  # fmt: skip


def _is_content(word: str, lang: str) -> bool:
    return len(word) >= 2 and bool(_LETTER.search(word)) and not is_filler(word, lang)


def name_themes(
    texts: Sequence[str],
    labels: np.ndarray,
    typical: list[list[int]],
    weights: np.ndarray | None = None,
    seed: int = 0,
) -> list[Naming]:
    """Name the themes of ``texts``: ``labels`` gives each text's theme (-1: none),
    ``typical`` each theme's texts, most typical first, ``weights`` the copies per text."""
    labels = np.asarray(labels)
    k = len(typical)
    weights = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=float)
    groups = np.where(labels >= 0, labels, k)  # the texts of no theme are a group of their own
    sizes = np.bincount(groups, weights=weights, minlength=k + 1)
    sample = _sample(groups, k + 1, seed)
    reading = _Reading()
    languages = [[] for _ in range(k + 1)]
    for g, rows in enumerate(sample):
        for i in rows:
            languages[g].append(reading.add(texts[i]))
    if not reading.keys:
        return [Naming(None, [], [], "") for _ in range(k)]
    group_of = np.concatenate([[g] * len(r) for g, r in enumerate(sample)]).astype(int)
    read_as = [[_read_as(code) for code in group] for group in languages]
    text_languages = np.array([code for group in read_as for code in group])
    shares, counted = _shares(reading.matrix(), group_of, text_languages, k + 1)
    topicless_words = topicless(reading.keys, shares[:k], sizes[:k])
    corpus_lang = Counter(code for group in read_as for code in group).most_common(1)[0][0]
    namings = []
    for t in range(k):
        phrases = _scored(reading.keys, shares, sizes, t, counted[t], topicless_words)
        used = Counter(read_as[t])
        # The theme's language; a tie (a theme of two languages) goes to the corpus's.
        lang = max(used, key=lambda code: (used[code], code == corpus_lang), default=corpus_lang)
        bilingual = len(set(languages[t]) & set(CONNECTOR)) > 1
        written = [texts[i] for i in sample[t]]
        typical_texts = [texts[i] for i in typical[t]]
        namings.append(_naming(reading, phrases, lang, bilingual, typical_texts, written))
    return namings


def _shares(matrix: sp.csr_matrix, group_of: np.ndarray, text_languages: np.ndarray, groups: int):
    """Return, per group and phrase (texts × phrases ``matrix``), the share of the group's
    texts that use the phrase, and how many texts it is a share of: where all of the
    group's uses are in one language that makes at least ``OWN_LANGUAGE`` of the group (but
    not all of it), its texts in that language, else all of them. In a theme of Swedish and
    English comments, "tåg" in all of its Swedish ones is as typical of it as in a theme of
    Swedish comments alone."""
    counted = np.bincount(group_of, minlength=groups).astype(np.float32)
    uses = (membership(group_of, groups) @ matrix).toarray()
    shares = uses / np.maximum(counted, 1)[:, None]
    of = np.repeat(counted[:, None], matrix.shape[1], axis=1)
    for code in np.unique(text_languages):
        rows = text_languages == code
        count = np.bincount(group_of[rows], minlength=groups)
        own = np.flatnonzero((count >= OWN_LANGUAGE * counted) & (count < counted))
        if len(own) == 0:
            continue
        in_language = (membership(group_of[rows], groups) @ matrix[rows]).toarray()
        for g in own:
            # The phrases all of whose uses in the group are in this language's texts (one
            # both halves use, "Umeå", counts over all of them).
            columns = (in_language[g] == uses[g]) & (uses[g] > 0)
            shares[g, columns] = in_language[g, columns] / count[g]
            of[g, columns] = count[g]
    return shares, of


def _read_as(told: str) -> str:
    """The language whose lemma table reads a text told to be in ``told``: Swedish for
    texts of other languages and those too short to tell."""
    return told if told in CONNECTOR else "sv"


def _sample(groups: np.ndarray, count: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for g in range(count):
        rows = np.flatnonzero(groups == g)
        if len(rows) > PER_THEME:
            rows = np.sort(rng.choice(rows, PER_THEME, replace=False))
        out.append(rows)
    return out


def topicless(keys: list[tuple[str, ...]], shares: np.ndarray, sizes: np.ndarray) -> set[str]:
    """Return the words this corpus spreads evenly over its themes: used in at least
    ``EVEN_THEMES`` of them, and in none ``EVEN_LIFT`` times more often than in all."""
    if shares.shape[0] < 3:
        return set()
    corpus = (shares * sizes[:, None]).sum(axis=0) / max(sizes.sum(), 1)
    present = (shares > 0).mean(axis=0)
    peak = shares.max(axis=0)
    even = (present >= EVEN_THEMES) & (peak <= EVEN_LIFT * corpus)
    return {keys[c][0] for c in np.flatnonzero(even) if len(keys[c]) == 1}


def _scored(keys, shares, sizes, t: int, counted: np.ndarray, topicless_words: set[str]):
    """Return theme ``t``'s phrases with a positive score, best first (``counted``: per
    phrase, the theme's texts its share was taken of)."""
    inside = shares[t]
    others = np.delete(np.arange(shares.shape[0]), t)
    out_total = sizes[others].sum()
    least = np.minimum(np.maximum(2.0, MIN_SHARE * counted), counted) / np.maximum(counted, 1)
    if out_total > 0:
        outside = (shares[others] * sizes[others, None]).sum(axis=0)
        lift = inside / ((outside + 0.5) / (out_total + 1))
        score = np.where(lift >= MIN_LIFT, inside * np.log(np.maximum(lift, 1)), 0.0)
    else:  # one theme: it is the corpus, and frequency alone says what it is about
        score = inside.copy()
    score[inside < least - 1e-9] = 0.0
    phrases = []
    for c in np.flatnonzero(score > 0):
        key = keys[c]
        if key[0] in topicless_words or key[-1] in topicless_words:
            continue
        bonus = 1 + LONGER_BONUS * (len(key) - 1)
        phrases.append((c, _Phrase(key, float(score[c] * bonus), float(inside[c]))))
    phrases.sort(key=lambda p: -p[1].score)
    return phrases


def _uses(texts: list[str], word: str) -> bool:
    pattern = re.compile(rf"(?<![^\W_]){word}(?![^\W_])", re.I)
    return any(pattern.search(text) for text in texts)


def _naming(
    reading: _Reading, phrases, lang: str, bilingual: bool, typical: list[str], written: list[str]
) -> Naming:
    if not phrases:
        return Naming(None, [], [], "")
    words = [(c, p) for c, p in phrases if len(p.key) == 1 and not reading.verb_like(c)]
    nameable = [(c, p) for c, p in phrases if reading.nameable(p.key)]
    if bilingual and nameable:
        # A theme of texts in two languages is named in one: its own ("Tåg och inlandet",
        # not "Tåg och trains"), or the other where only that one has a phrase for it.
        if not any(reading.in_language(c, lang) for c, _ in nameable):
            lang = reading.languages[nameable[0][0]].most_common(1)[0][0]
        nameable = [(c, p) for c, p in nameable if reading.in_language(c, lang)]
    name_parts = _name_parts(_topic_first(reading, nameable))
    if not name_parts:
        return Naming(None, [], [], "")
    # The connector is a word of the theme's comments too (else the parts are listed).
    joint = f" {CONNECTOR[lang]} " if _uses(written, CONNECTOR[lang]) else ", "
    label = joint.join(reading.shown(c) for c in name_parts)
    label = label[0].upper() + label[1:]
    keywords = [reading.shown(c) for c, _ in words[:KEYWORDS]]
    tied = {c for c, _ in words[:TERMS]} | set(name_parts)
    terms = sorted(
        {
            word
            for c in tied
            for form in reading.forms[c]
            for word in form.split()
            if _is_content(word, lang)
        }
    )
    name_forms = [form for c in name_parts for form in reading.forms[c]]
    return Naming(label, keywords, terms, describe(typical, name_forms))


def _topic_first(reading: _Reading, phrases):
    """If the best phrase begins with a name (``_Reading.proper``) and a phrase of common
    words scores at least ``TOPIC_FIRST`` of it, the theme is named by common words alone:
    by what its comments are about, not by the places or bodies they mention ("Unga och
    inlandet", not "Bjurholm och unga")."""
    if not phrases or not reading.proper(phrases[0][0]):
        return phrases
    common = [(c, p) for c, p in phrases if not reading.proper(c)]
    if common and common[0][1].score >= TOPIC_FIRST * phrases[0][1].score:
        return common
    return phrases


def _name_parts(phrases) -> list[int]:
    """Return the columns of the phrases that make the name (one or two; none if no
    phrase can name the theme)."""
    if not phrases:
        return []
    best_column, best = phrases[0]
    if len(best.key) == 1:
        longer = [
            (c, p)
            for c, p in phrases
            if len(p.key) > 1 and best.key[0] in (p.key[0], p.key[-1]) and p.df >= GROW * best.df
        ]
        if longer:
            return [max(longer, key=lambda cp: (cp[1].df, cp[1].score))[0]]
        for c, p in phrases[1:]:
            if p.score < SECOND * best.score:
                break
            if len(p.key) <= 2 and not set(p.key) & set(best.key):
                return [best_column, c]
    return [best_column]


def describe(typical: list[str], name_forms: list[str]) -> str:
    """Return the first sentence or list item of the most typical text that uses the name
    (or of the most typical text), shortened at a clause boundary to at most
    ``DESCRIPTION_CHARS``, beginning with a capital."""
    patterns = [re.compile(rf"(?<![^\W_]){re.escape(f)}(?![^\W_])", re.I) for f in name_forms]
    for text in typical:
        for sentence in _sentences(text):
            if any(p.search(sentence) for p in patterns):
                return _described(sentence)
    first = _sentences(typical[0]) if typical else []
    return _described(first[0]) if first else ""


def _sentences(text: str) -> list[str]:
    """The sentences of ``text``, each paragraph and list item apart: a line that begins a
    list item, or follows an empty line, begins a new one (a proposal's "- full finansiering
    …,\n- ökat underhåll …" is two, not one sentence of the whole list)."""
    passages, lines = [], []
    for line in text.splitlines():
        line = line.strip()
        item = _LIST_MARK.match(line) or _NUMBERED.match(line)
        if lines and (not line or item):
            passages.append(" ".join(lines))
            lines = []
        if line:
            lines.append(_NUMBERED.sub("", _LIST_MARK.sub("", line)))
    if lines:
        passages.append(" ".join(lines))
    return [sentence for passage in passages for sentence in sentences(passage)]


def _described(sentence: str) -> str:
    short = shorten(sentence.rstrip(" ,;:"))
    return short[:1].upper() + short[1:]


def shorten(sentence: str, limit: int = DESCRIPTION_CHARS) -> str:
    """Return ``sentence`` cut at its last clause boundary before ``limit`` characters (or at a
    word), with an ellipsis where something was cut."""
    sentence = _LIST_MARK.sub("", sentence.strip())
    if len(sentence) <= limit:
        return sentence
    head = sentence[:limit]
    cuts = [m.start() for m in _BOUNDARY.finditer(head) if m.start() >= limit * 0.4]
    cut = cuts[-1] if cuts else head.rfind(" ")
    if cut <= 0:
        cut = limit
    return head[:cut].rstrip(" ,;:–—-") + "…"

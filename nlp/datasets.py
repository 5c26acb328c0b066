"""Loaders for the evaluation data in ``../shared/data``, and synthetic corpora built from it.

The data is read where it lies (``CONSULT_NLP_DATA``, by default ``<repo>/../shared/data``)
and never copied into the repository; ``SOURCES.md`` there describes each set and its licence.
Every loader returns plain lists of strings and labels, so ``nlp.evaluate`` and ``nlp.bench``
need nothing else. The second half builds campaign variants (template texts with realistic
small edits) for the duplicate measurements and the benchmark corpora.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATA_ENV = "CONSULT_NLP_DATA"

ARGUMENTATION = "superlim-argumentation"
SWEFAQ = "superlim-swefaq"
SIB200 = "sib200"
ARGKP = "argkp"
THEMEFINDER = "themefinder-gambling-xs"

# SuperLim stance labels in the engine's vocabulary.
STANCE_NAMES = {"pro": "support", "con": "oppose", "non": "neutral"}


@dataclass
class LabelledSet:
    """Texts with one label each (``labels``) or several (``label_sets``)."""

    name: str
    language: str
    texts: list[str]
    labels: list[str] = field(default_factory=list)
    label_sets: list[frozenset[str]] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)  # argumentation: the topic of each text

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class ArgKPTopic:
    """One ArgKP debate topic: its key points and the arguments with labelled pairs."""

    topic: str
    key_points: dict[str, str]  # key point id -> text
    argument_ids: list[str]
    arguments: list[str]
    gold: list[frozenset[str]]  # key point ids labelled 1 for each argument


@dataclass
class QuestionPart:
    """One question of a consultation with multi-label theme mapping (ThemeFinder format)."""

    name: str
    question: str
    themes: dict[str, str]  # theme id -> "label: description"
    texts: list[str]
    label_sets: list[frozenset[str]]


# -- where the data is ------------------------------------------------------------------------


def data_dir() -> Path:
    """Return the data folder: ``$CONSULT_NLP_DATA`` or ``<repo>/../shared/data``."""
    configured = os.environ.get(DATA_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def available(root: Path | str | None = None) -> bool:
    """Return whether the data folder exists and holds at least one known set."""
    root = Path(root) if root is not None else data_dir()
    known = (ARGUMENTATION, SWEFAQ, SIB200, ARGKP, THEMEFINDER)
    return root.is_dir() and any((root / name).is_dir() for name in known)


def _root(root: Path | str | None) -> Path:
    return Path(root) if root is not None else data_dir()


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _csv(path: Path, delimiter: str = ",") -> Iterator[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter=delimiter)


def _unquote(text: str) -> str:
    """Undo a second layer of CSV quoting ('"He said ""hi""."' → 'He said "hi".')."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return text


def _splits(split: str, known: tuple[str, ...]) -> tuple[str, ...]:
    if split == "all":
        return known
    if split not in known:
        raise ValueError(f"unknown split {split!r}; expected one of {known + ('all',)}")
    return (split,)


# -- the sets ---------------------------------------------------------------------------------


def argumentation(
    split: str = "all", label: str = "topic", root: Path | str | None = None
) -> LabelledSet:
    """Return SuperLim argumentation sentences with their ``topic`` or stance (``label``)."""
    if label not in ("topic", "stance"):
        raise ValueError("label must be 'topic' or 'stance'")
    texts, labels, topics = [], [], []
    # 621 of the 750 dev sentences are also in train (same sentence_id): as a held-out test
    # set, dev keeps only the sentences train has not seen.
    seen = set()
    if split == "dev":
        seen = {row["sentence_id"] for row in _jsonl(_root(root) / ARGUMENTATION / "train.jsonl")}
    for name in _splits(split, ("train", "dev")):
        for row in _jsonl(_root(root) / ARGUMENTATION / f"{name}.jsonl"):
            if row.get("sentence_id") in seen:
                continue
            texts.append(row["sentence"])
            labels.append(row["topic"] if label == "topic" else STANCE_NAMES[row["label"]])
            topics.append(row["topic"])
    return LabelledSet(f"{ARGUMENTATION} {split}", "sv", texts, labels, topics=topics)


# A training sentence this close to a dev sentence (cosine of char_wb 3–5-gram TF-IDF) is
# the same sentence edited or the same claim reworded: 7 of the 3,450 (one identical under
# another id, four at 0.9 or more: the same text cut or re-bracketed; one at 0.71 and one at
# 0.69: the same fact reworded); the next closest pair, at 0.57, are different sentences.
NEAR_DUPLICATE = 0.6


def argumentation_stance(root: Path | str | None = None) -> tuple[LabelledSet, LabelledSet]:
    """Return SuperLim argumentation (train, dev) with stance labels for an honest test:
    dev without the sentences train has (by id), train without near-duplicates of dev."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    train = argumentation("train", label="stance", root=root)
    dev = argumentation("dev", label="stance", root=root)
    grams = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit(train.texts + dev.texts)
    closest = (grams.transform(train.texts) @ grams.transform(dev.texts).T).max(axis=1)
    keep = np.flatnonzero(np.asarray(closest.todense()).ravel() < NEAR_DUPLICATE)
    kept = LabelledSet(
        train.name,
        train.language,
        [train.texts[i] for i in keep],
        [train.labels[i] for i in keep],
        topics=[train.topics[i] for i in keep],
    )
    return kept, dev


def swefaq(root: Path | str | None = None) -> LabelledSet:
    """Return the SweFAQ dev questions labelled with their ``category_id``."""
    texts, labels = [], []
    for row in _jsonl(_root(root) / SWEFAQ / "dev.jsonl"):
        texts.append(row["question"])
        labels.append(str(row["category_id"]))
    return LabelledSet(f"{SWEFAQ} dev", "sv", texts, labels)


def swefaq_answers(root: Path | str | None = None) -> list[tuple[str, str]]:
    """Return the distinct SweFAQ candidate answers with the category of their question."""
    seen: dict[str, str] = {}
    for row in _jsonl(_root(root) / SWEFAQ / "dev.jsonl"):
        for answer in row.get("candidate_answers", []):
            seen.setdefault(answer, str(row["category_id"]))
    return list(seen.items())


def sib200(lang: str = "swe", split: str = "all", root: Path | str | None = None) -> LabelledSet:
    """Return SIB-200 sentences (``lang`` "swe" or "eng") labelled with their ``category``."""
    if lang not in ("swe", "eng"):
        raise ValueError("lang must be 'swe' or 'eng'")
    texts, labels = [], []
    for name in _splits(split, ("train", "dev")):
        for row in _csv(_root(root) / SIB200 / f"{lang}_{name}.tsv", delimiter="\t"):
            texts.append(_unquote(row["text"]))  # the SIB-200 files quote quoted fields again
            labels.append(row["category"])
    return LabelledSet(f"{SIB200} {lang} {split}", "sv" if lang == "swe" else "en", texts, labels)


def argkp(root: Path | str | None = None) -> list[ArgKPTopic]:
    """Return the ArgKP training topics, each with key points and labelled arguments."""
    folder = _root(root) / ARGKP
    key_points: dict[str, dict[str, str]] = {}
    for row in _csv(folder / "key_points_train.csv"):
        key_points.setdefault(row["topic"], {})[row["key_point_id"]] = row["key_point"]
    gold: dict[str, set[str]] = {}
    for row in _csv(folder / "labels_train.csv"):
        matches = gold.setdefault(row["arg_id"], set())
        if row["label"].strip() == "1":
            matches.add(row["key_point_id"])
    topics: dict[str, ArgKPTopic] = {}
    for row in _csv(folder / "arguments_train.csv"):
        if row["arg_id"] not in gold or row["topic"] not in key_points:
            continue  # no labelled pair: nothing to compare with
        topic = topics.setdefault(
            row["topic"], ArgKPTopic(row["topic"], key_points[row["topic"]], [], [], [])
        )
        topic.argument_ids.append(row["arg_id"])
        topic.arguments.append(row["argument"])
        topic.gold.append(frozenset(gold[row["arg_id"]]))
    return list(topics.values())


def themefinder(root: Path | str | None = None) -> list[QuestionPart]:
    """Return each question part of the ThemeFinder gambling XS set with its theme mapping."""
    folder = _root(root) / THEMEFINDER
    parts = []
    for question_dir in sorted((folder / "inputs").glob("question_part_*")):
        mappings = sorted((folder / "outputs" / "mapping").glob(f"*/{question_dir.name}"))
        if not mappings:
            continue
        mapping_dir = mappings[-1]  # the latest mapping run
        question = json.loads((question_dir / "question.json").read_text(encoding="utf-8"))
        themes_raw = json.loads((mapping_dir / "themes.json").read_text(encoding="utf-8"))
        themes = {t["topic_id"]: t.get("topic") or t.get("topic_label", "") for t in themes_raw}
        responses = {
            r["response_id"]: r["response"] for r in _jsonl(question_dir / "responses.jsonl")
        }
        texts, label_sets = [], []
        for row in _jsonl(mapping_dir / "mapping.jsonl"):
            if row["response_id"] in responses:
                texts.append(responses[row["response_id"]])
                label_sets.append(frozenset(row["labels"]))
        parts.append(
            QuestionPart(
                question_dir.name, question.get("question_text", ""), themes, texts, label_sets
            )
        )
    return parts


# -- sentences for synthetic corpora ----------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9\"'(])")


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences at ., ! or ? followed by a capital letter."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def swedish_sentences(
    root: Path | str | None = None, min_words: int = 4
) -> tuple[list[str], list[str]]:
    """Return distinct Swedish sentences of every Swedish set, and the label of each one.

    Labels are prefixed by their set ("arg:kärnkraft", "sib:sports", "faq:73") so that
    labels from different sets never collide.
    """
    seen: dict[str, str] = {}

    def add(sentence: str, label: str) -> None:
        sentence = " ".join(sentence.split())
        if len(sentence.split()) >= min_words:
            seen.setdefault(sentence, label)

    root = _root(root)
    if (root / ARGUMENTATION).is_dir():
        data = argumentation("all", root=root)
        for text, label in zip(data.texts, data.labels, strict=True):
            add(text, f"arg:{label}")
    if (root / SIB200).is_dir():
        data = sib200("swe", "all", root=root)
        for text, label in zip(data.texts, data.labels, strict=True):
            for sentence in split_sentences(text):
                add(sentence, f"sib:{label}")
    if (root / SWEFAQ).is_dir():
        data = swefaq(root=root)
        for text, label in zip(data.texts, data.labels, strict=True):
            add(text, f"faq:{label}")
        for answer, label in swefaq_answers(root=root):
            for sentence in split_sentences(answer):
                add(sentence, f"faq:{label}")
    return list(seen), list(seen.values())


# -- campaign variants ------------------------------------------------------------------------

FIRST_NAMES = (
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Anders",
    "Eva",
    "Johan",
    "Lena",
    "Per",
    "Sara",
    "Mikael",
    "Elin",
    "Fredrik",
    "Ingrid",
    "Ahmed",
    "Fatima",
    "Nils",
    "Sofia",
    "Olof",
    "Aino",
    "Mohammed",
    "Linnea",
    "Gustav",
    "Britt",
    "Hassan",
    "Maja",
    "Jonas",
    "Kerstin",
    "Ali",
)
LAST_NAMES = (
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Lindberg",
    "Lindqvist",
    "Berg",
    "Holm",
    "Sandberg",
    "Ali",
    "Mohammadi",
    "Nieminen",
    "Engström",
    "Lundgren",
    "Åberg",
    "Öberg",
    "Hussein",
)
PLACES = (
    "Kiruna",
    "Gällivare",
    "Luleå",
    "Piteå",
    "Skellefteå",
    "Umeå",
    "Östersund",
    "Sundsvall",
    "Härnösand",
    "Falun",
    "Borlänge",
    "Gävle",
    "Karlstad",
    "Örebro",
    "Västerås",
    "Uppsala",
    "Norrtälje",
    "Visby",
    "Kalmar",
    "Växjö",
    "Jönköping",
    "Borås",
    "Trollhättan",
    "Lund",
    "Kristianstad",
    "Ystad",
    "Arvidsjaur",
    "Jokkmokk",
    "Sorsele",
    "Storuman",
)
SIGN_OFFS = (
    "Med vänlig hälsning",
    "Vänliga hälsningar",
    "Mvh",
    "Hälsningar",
    "Med vänliga hälsningar",
    "Tack för ordet",
    "Hälsar",
    "/",
)
PERSONAL_LINES = (
    "Jag har bott här i hela mitt liv.",
    "Själv pendlar jag varje dag och märker skillnaden.",
    "Det här berör min familj direkt.",
    "Jag skriver som förälder till två barn.",
    "Som företagare ser jag problemet varje vecka.",
    "Detta är viktigt för oss som bor på landsbygden.",
    "Jag hoppas att ni lyssnar den här gången.",
    "Mina grannar håller med om detta.",
)

EDITS = ("name", "place", "add", "remove", "typos", "sign_off", "case_punct")


def signer(rng: np.random.Generator) -> tuple[str, str]:
    """Return a random Swedish name and place."""
    name = (
        f"{FIRST_NAMES[rng.integers(len(FIRST_NAMES))]} {LAST_NAMES[rng.integers(len(LAST_NAMES))]}"
    )
    return name, PLACES[rng.integers(len(PLACES))]


def _typos(text: str, count: int, rng: np.random.Generator) -> str:
    chars = list(text)
    letters = [i for i, c in enumerate(chars) if c.isalpha()]
    for _ in range(count):
        if not letters:
            break
        i = letters[rng.integers(len(letters))]
        kind = rng.integers(3)
        if kind == 0 and i + 1 < len(chars):  # swap with the next character
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif kind == 1:  # drop the character
            chars[i] = ""
        else:  # double it
            chars[i] = chars[i] * 2
    return "".join(chars)


def _case_punct(text: str, rng: np.random.Generator) -> str:
    choice = rng.integers(4)
    if choice == 0:
        return text.lower()
    if choice == 1:
        return text.replace(".", "!", 1).replace(",", "", 1)
    if choice == 2:
        return re.sub(r"\s+", "  ", text, count=3) + " "
    return text.upper() if len(text) < 200 else text.replace(".", "..", 2)


def campaign_variant(
    sentences: list[str],
    rng: np.random.Generator,
    place: str = "Umeå",
    extra: list[str] | tuple[str, ...] = PERSONAL_LINES,
    edits: int | None = None,
) -> str:
    """Return one copy of a campaign letter (the template ``sentences``) with small edits.

    The unedited copy is the template with ``place`` in its ``{place}`` slots and the
    sign-off "Med vänlig hälsning". ``edits`` (default 1–3) edits are drawn from: signed with
    a person's name, another place, an added sentence, a removed sentence, 1–3 character
    typos, another sign-off, case or punctuation changes.
    """
    body = list(sentences)
    count = int(rng.integers(1, 4)) if edits is None else edits
    chosen = rng.choice(len(EDITS), size=min(count, len(EDITS)), replace=False)
    kinds = {EDITS[i] for i in chosen}
    name, other_place = signer(rng)
    if "place" in kinds:
        place = other_place
    if "add" in kinds:
        position = int(rng.integers(1, len(body) + 1))
        body.insert(position, str(extra[rng.integers(len(extra))]))
    if "remove" in kinds and len(body) > 3:
        del body[int(rng.integers(1, len(body)))]
    sign_off = SIGN_OFFS[rng.integers(1, len(SIGN_OFFS))] if "sign_off" in kinds else SIGN_OFFS[0]
    if "name" in kinds:
        sign_off += f"\n{name}" + (f", {place}" if rng.random() < 0.5 else "")
    text = " ".join(body).replace("{place}", place) + f"\n\n{sign_off}"
    if "typos" in kinds:
        text = _typos(text, int(rng.integers(1, 4)), rng)
    if "case_punct" in kinds:
        text = _case_punct(text, rng)
    return text

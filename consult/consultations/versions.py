"""Match the paragraphs of a revised draft to the previous round's draft.

Each paragraph of the new draft is unchanged (same normalised text as a previous paragraph),
changed (similar enough to one), or new; a previous paragraph that nothing continues was
removed, or merged into a new paragraph that contains its words.

The measure is difflib's ratio on lower-cased word sequences: it rewards words kept in order,
so an edited sentence scores high and a different paragraph on the same subject scores low.
Pairs above ``THRESHOLD`` are assigned one to one, best pair first (closer positions win
ties). A new paragraph left over whose words come mostly from one previous paragraph is a
part of a split, linked to that paragraph as changed.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Paragraph, ParagraphChange, Round

# The lowest word-sequence ratio at which a paragraph counts as a revision of another.
THRESHOLD = 0.5
# The share of a paragraph's words that must come from another for it to be a part of a split
# (or, the other way round, for a removed paragraph to have been merged into a new one).
CONTAINED = 0.7
# A part of a split must account for old words that the paragraphs already continuing the
# old paragraph do not hold: at least this many per word of the part.
MIN_GAIN = 0.5
_WORDS = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)


def normalise(text: str) -> str:
    """Return ``text`` in Unicode NFC with whitespace collapsed: equal means unchanged."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def words(text: str) -> list[str]:
    """Return the lower-cased words of ``text``, as matching compares them."""
    return _WORDS.findall(normalise(text).lower())


@dataclass(frozen=True)
class Block:
    """A paragraph reduced to what matching needs: an id and its text."""

    id: int
    text: str


@dataclass
class Matching:
    """How the new draft's paragraphs continue the previous draft's."""

    # New paragraph id -> (previous paragraph id or None, change).
    links: dict[int, tuple[int | None, ParagraphChange]] = field(default_factory=dict)
    # The previous paragraph whose identity (key) each continuing paragraph takes over.
    heirs: dict[int, int] = field(default_factory=dict)
    # Previous paragraphs that nothing continues, mapped to the new paragraph they were merged
    # into, or None when they were removed.
    removed: dict[int, int | None] = field(default_factory=dict)


def ratio(a: list[str], b: list[str]) -> float:
    """Return difflib's similarity ratio of two word lists (0 to 1)."""
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio()


@lru_cache(maxsize=4096)
def _bag(tokens: tuple[str, ...]) -> Counter:
    return Counter(tokens)


def contained(part: list[str], whole: list[str], at_least: float = 0.0) -> float:
    """Return the share of ``part``'s words found, in order, in ``whole``.

    Below ``at_least`` the answer may be any smaller number: the shared words counted
    regardless of order bound it from above, which is far cheaper than the alignment.
    """
    if not part:
        return 0.0
    shared = sum((_bag(tuple(part)) & _bag(tuple(whole))).values()) / len(part)
    if shared < at_least:
        return shared
    matcher = difflib.SequenceMatcher(a=part, b=whole, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(part)


def _similar_pairs(old: list[tuple[int, list[str]]], new: list[tuple[int, list[str]]]):
    """Yield (score, distance, old index, new index) for every pair above the threshold."""
    for j, (_, b) in enumerate(new):
        # The second sequence is indexed once and compared with every old paragraph.
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(b)
        for i, (_, a) in enumerate(old):
            matcher.set_seq1(a)
            # The cheap upper bounds skip most unrelated pairs before the real ratio.
            if matcher.real_quick_ratio() < THRESHOLD or matcher.quick_ratio() < THRESHOLD:
                continue
            score = matcher.ratio()
            if score >= THRESHOLD:
                yield score, abs(i / max(len(old), 1) - j / max(len(new), 1)), i, j


def match(previous: Sequence[Block], current: Sequence[Block]) -> Matching:
    """Match ``current`` paragraphs (in document order) to ``previous`` ones."""
    result = Matching()
    # 1. Identical texts, paired in document order (a repeated text pairs with its repeats).
    waiting: dict[str, list[int]] = defaultdict(list)
    for block in previous:
        waiting[normalise(block.text)].append(block.id)
    unmatched_new = []
    for block in current:
        ids = waiting.get(normalise(block.text))
        if ids:
            old_id = ids.pop(0)
            result.links[block.id] = (old_id, ParagraphChange.UNCHANGED)
            result.heirs[block.id] = old_id
        else:
            unmatched_new.append(block)
    taken = {old_id for old_id, _ in result.links.values()}
    unmatched_old = [b for b in previous if b.id not in taken]

    # 2. Revised texts: the best pairs above the threshold, one to one.
    old_words = [(b.id, words(b.text)) for b in unmatched_old]
    new_words = [(b.id, words(b.text)) for b in unmatched_new]
    used_old, used_new = set(), set()
    for _, _, i, j in sorted(
        _similar_pairs(old_words, new_words), key=lambda p: (-p[0], p[1], p[2], p[3])
    ):
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        result.links[new_words[j][0]] = (old_words[i][0], ParagraphChange.CHANGED)
        result.heirs[new_words[j][0]] = old_words[i][0]

    # 3. Parts of a split: a leftover new paragraph made of one previous paragraph's words
    # that the paragraphs already continuing it do not hold.
    position = {b.id: k for k, b in enumerate(current)}
    words_of = dict(new_words)
    parts: dict[int, list[int]] = defaultdict(list)
    for new_id, (old_id, change) in result.links.items():
        if change == ParagraphChange.CHANGED:
            parts[old_id].append(new_id)
    candidates = [
        (old_id, tokens)
        for k, (old_id, tokens) in enumerate(old_words)
        if old_id in parts or k not in used_old
    ]

    def gain(old_id: int, old_tokens: list[str], new_id: int) -> float:
        """Return how many old words ``new_id`` newly accounts for, per word of its own."""

        def joined(ids):
            return [w for i in sorted(ids, key=position.get) for w in words_of[i]]

        held = parts.get(old_id, [])
        more = contained(old_tokens, joined([*held, new_id])) - contained(old_tokens, joined(held))
        return more * len(old_tokens) / max(len(words_of[new_id]), 1)

    for j, (new_id, tokens) in enumerate(new_words):
        if j in used_new:
            continue
        shares = [
            (contained(tokens, old_tokens, CONTAINED), old_id, old_tokens)
            for old_id, old_tokens in candidates
        ]
        fitting = [f for f in shares if f[0] >= CONTAINED and gain(f[1], f[2], new_id) >= MIN_GAIN]
        if fitting:
            _, old_id, _ = max(fitting, key=lambda f: f[0])
            result.links[new_id] = (old_id, ParagraphChange.CHANGED)
            if not parts[old_id]:
                result.heirs[new_id] = old_id
            parts[old_id].append(new_id)
        else:
            result.links[new_id] = (None, ParagraphChange.NEW)

    # 4. What nothing continues: merged into a new paragraph that holds its words, or removed.
    continued = {old_id for old_id, _ in result.links.values() if old_id is not None}
    gone = [b for b in previous if b.id not in continued]
    merged = merged_into(gone, current)
    result.removed = {b.id: merged.get(b.id) for b in gone}
    return result


def merged_into(removed: Sequence[Block], current: Sequence[Block]) -> dict[int, int]:
    """Return, for each removed block whose words went into a current block, that block's id."""
    current_words = [(b.id, words(b.text)) for b in current]
    found = {}
    for block in removed:
        own = words(block.text)
        shares = [(contained(own, tokens, CONTAINED), new_id) for new_id, tokens in current_words]
        share, new_id = max(shares, default=(0.0, None))
        if share >= CONTAINED:
            found[block.id] = new_id
    return found


def previous_round(
    session: Session, round_: Round, *, public_at: datetime | None = None
) -> Round | None:
    """Return the latest earlier round of the same consultation that has a draft.

    With ``public_at``, only a round that had opened by then counts: a draft that was never
    shown to participants is not shown to them through a later round either.
    """
    earlier = [
        r
        for r in round_.consultation.rounds
        if r.number < round_.number
        and r.document is not None
        and (public_at is None or (r.opens_at is not None and r.opens_at <= public_at))
    ]
    return earlier[-1] if earlier else None


def _paragraphs(session: Session, document_id: int) -> list[Paragraph]:
    return list(
        session.scalars(
            select(Paragraph)
            .where(Paragraph.document_id == document_id)
            .order_by(Paragraph.position)
        )
    )


def link_to_previous(session: Session, round_: Round) -> Matching | None:
    """Match the draft of ``round_`` to the previous round's and store the links (flushed).

    A paragraph that continues a previous one takes over its key, so its anchor (and the
    links people shared) stays the same from round to round.
    """
    earlier = previous_round(session, round_)
    if earlier is None or round_.document is None:
        return None
    old = _paragraphs(session, earlier.document.id)
    new = _paragraphs(session, round_.document.id)
    matching = match([Block(p.id, p.text) for p in old], [Block(p.id, p.text) for p in new])
    old_by_id = {p.id: p for p in old}
    for paragraph in new:
        previous_id, change = matching.links[paragraph.id]
        paragraph.previous_id = previous_id
        paragraph.change = change
        if paragraph.id in matching.heirs:
            key = old_by_id[matching.heirs[paragraph.id]].key
            paragraph.key, paragraph.anchor = key, f"p-{key}"
    session.flush()
    return matching


def change_after_edit(paragraph: Paragraph, previous_text: str | None) -> ParagraphChange | None:
    """Return the change of an edited paragraph against the previous paragraph it continues."""
    if paragraph.change is None:
        return None
    if paragraph.previous_id is None:
        return ParagraphChange.NEW
    if previous_text is not None and normalise(previous_text) == normalise(paragraph.text):
        return ParagraphChange.UNCHANGED
    return ParagraphChange.CHANGED

"""What changed since the last round: a round's draft beside the previous round's, by section.

The links are stored on the paragraphs (``previous_id`` and ``change``, set by
``versions.link_to_previous``); what was removed is what no paragraph continues. A removed
paragraph is shown where it stood: after the paragraph that continues its nearest surviving
neighbour in the same section, or at the end of the section with the same heading, or, when
its whole section went, in a list of removed sections.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Comment, CommentStatus, Paragraph, Round, Section
from . import services, versions
from .diff import word_diff

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass
class Item:
    """One paragraph in the comparison: ``change`` is unchanged, changed, new or removed."""

    change: str
    paragraph: Paragraph | None = None
    previous: Paragraph | None = None
    diff: Markup | None = None
    merged_into: Paragraph | None = None
    # Published comments on the previous version, in the previous round.
    earlier_comments: int = 0
    # True for a part of a previous paragraph that was split into several.
    split: bool = False


@dataclass
class SectionChanges:
    section: Section | None
    items: list[Item] = field(default_factory=list)
    children: list[SectionChanges] = field(default_factory=list)

    def count(self, change: str) -> int:
        """Count the items of this section (not its subsections) with ``change``."""
        return sum(1 for item in self.items if item.change == change)

    def runs(self) -> list[tuple[str, list[Item]]]:
        """Return the items with consecutive unchanged ones grouped, to fold them."""
        runs: list[tuple[str, list[Item]]] = []
        for item in self.items:
            if item.change == "unchanged" and runs and runs[-1][0] == "unchanged":
                runs[-1][1].append(item)
            else:
                runs.append((item.change, [item]))
        return runs


@dataclass
class RemovedSection:
    heading: str
    number: str
    items: list[Item]


@dataclass
class Changes:
    round: Round
    previous_round: Round
    preamble: SectionChanges
    sections: list[SectionChanges]
    removed_sections: list[RemovedSection]
    totals: dict[str, int]


@dataclass
class _Previous:
    """The previous round's draft as the comparison reads it."""

    round: Round
    paragraphs: list[Paragraph]
    by_id: dict[int, Paragraph]
    sections: dict[int, Section]
    # Published top-level comments per paragraph of the previous round.
    counts: dict[int, int]


@dataclass
class _Links:
    """How the current paragraphs continue the previous ones."""

    # The first current paragraph that continues each previous paragraph.
    successor: dict[int, Paragraph]
    # How many current paragraphs continue each previous one (more than one: it was split).
    parts: Counter


@dataclass
class _Placed:
    """Where each removed paragraph is shown, by the current paragraph or section it joins."""

    before: dict[int, list[Item]] = field(default_factory=dict)
    after: dict[int, list[Item]] = field(default_factory=dict)
    at_end: dict[int | None, list[Item]] = field(default_factory=dict)
    # By previous section id: removed paragraphs whose whole section went.
    homeless: dict[int, list[Item]] = field(default_factory=dict)


def compare(
    session: Session, round_: Round, *, public_at: datetime | None = None
) -> Changes | None:
    """Return what changed in the draft of ``round_`` since the previous round's draft.

    ``public_at`` limits the comparison to an earlier round that participants could see.
    """
    earlier = versions.previous_round(session, round_, public_at=public_at)
    view = services.document_view(session, round_)
    if earlier is None or view is None:
        return None
    previous = _read_previous(session, earlier)
    current = _in_reading_order(view)
    links = _link(current)
    removed = [p for p in previous.paragraphs if p.id not in links.successor]
    placed = _place_removed(removed, previous, links, view, current)
    cues = {"removed_cue": _("Removed:"), "added_cue": _("Added:")}

    def describe(paragraph: Paragraph) -> Item:
        return _item_for(paragraph, previous, links, cues)

    return Changes(
        round_,
        earlier,
        SectionChanges(None, _items_of(view.preamble, None, placed, describe)),
        _sections(view.sections, placed, describe),
        _removed_sections(placed, previous),
        _totals(current, previous, len(removed)),
    )


def _earlier_counts(session: Session, round_: Round) -> dict[int, int]:
    rows = session.execute(
        select(Comment.paragraph_id, func.count())
        .where(
            Comment.round_id == round_.id,
            Comment.status == CommentStatus.PUBLISHED,
            Comment.parent_id.is_(None),
            Comment.paragraph_id.is_not(None),
        )
        .group_by(Comment.paragraph_id)
    )
    return dict(rows.all())


def _read_previous(session: Session, earlier: Round) -> _Previous:
    """Read the previous round's paragraphs in order, its sections and its comment counts."""
    document_id = earlier.document.id
    paragraphs = list(
        session.scalars(
            select(Paragraph)
            .where(Paragraph.document_id == document_id)
            .order_by(Paragraph.position)
        )
    )
    sections = {
        s.id: s for s in session.scalars(select(Section).where(Section.document_id == document_id))
    }
    return _Previous(
        earlier,
        paragraphs,
        {p.id: p for p in paragraphs},
        sections,
        _earlier_counts(session, earlier),
    )


def _in_reading_order(view) -> list[Paragraph]:
    """The current draft's paragraphs as a reader meets them: preamble, then section by
    section, each before its subsections."""
    found: list[Paragraph] = list(view.preamble)

    def collect(nodes):
        for node in nodes:
            found.extend(node.paragraphs)
            collect(node.children)

    collect(view.sections)
    return found


def _link(current: list[Paragraph]) -> _Links:
    """Find which current paragraph continues each previous one, and which were split."""
    successor: dict[int, Paragraph] = {}
    parts: Counter = Counter()
    for paragraph in current:
        if paragraph.previous_id is not None:
            successor.setdefault(paragraph.previous_id, paragraph)
            parts[paragraph.previous_id] += 1
    return _Links(successor, parts)


def _item_for(paragraph: Paragraph, previous: _Previous, links: _Links, cues: dict) -> Item:
    """Describe one current paragraph: its change, its diff and the earlier comment count."""
    before = previous.by_id.get(paragraph.previous_id)
    change = (paragraph.change or "new") if before is not None else "new"
    split = before is not None and links.parts[before.id] > 1
    diff = None
    if change == "changed":
        # A part of a split is compared with the part of the old text it came from.
        old_text = aligned_span(before.text, paragraph.text) if split else before.text
        diff = word_diff(old_text, paragraph.text, **cues)
    return Item(
        str(change),
        paragraph,
        before,
        diff,
        earlier_comments=previous.counts.get(before.id, 0) if before is not None else 0,
        split=split,
    )


def _place_removed(
    removed: list[Paragraph],
    previous: _Previous,
    links: _Links,
    view,
    current: list[Paragraph],
) -> _Placed:
    """Place each removed paragraph next to where its neighbours went."""
    placed = _Placed()
    headings = {versions.normalise(s.section.heading).lower(): s.section.id for s in _walk(view)}
    merged = _merged(removed, current)
    for paragraph in removed:
        gone = Item(
            "removed",
            previous=paragraph,
            merged_into=merged.get(paragraph.id),
            earlier_comments=previous.counts.get(paragraph.id, 0),
        )
        prior, later = _surviving_neighbours(paragraph, previous, links)
        if prior is not None:
            placed.after.setdefault(prior.id, []).append(gone)
        elif later is not None:
            placed.before.setdefault(later.id, []).append(gone)
        else:
            _place_by_section(gone, previous.sections.get(paragraph.section_id), headings, placed)
    return placed


def _surviving_neighbours(
    paragraph: Paragraph, previous: _Previous, links: _Links
) -> tuple[Paragraph | None, Paragraph | None]:
    """The current continuations of the nearest previous neighbours in the same section that
    survived: (the one before, the one after), either None."""
    siblings = [p for p in previous.paragraphs if p.section_id == paragraph.section_id]
    index = siblings.index(paragraph)
    successor = links.successor
    prior = next((successor[p.id] for p in reversed(siblings[:index]) if p.id in successor), None)
    later = next((successor[p.id] for p in siblings[index + 1 :] if p.id in successor), None)
    return prior, later


def _place_by_section(
    gone: Item, section: Section | None, headings: dict[str, int], placed: _Placed
) -> None:
    """Place a removed paragraph none of whose neighbours survived: at the end of the section
    with the same heading, else with its removed section."""
    if section is None:
        placed.at_end.setdefault(None, []).append(gone)
        return
    key = versions.normalise(section.heading).lower()
    if key in headings:
        placed.at_end.setdefault(headings[key], []).append(gone)
    else:
        placed.homeless.setdefault(section.id, []).append(gone)


def _items_of(
    paragraphs: list[Paragraph], section_id: int | None, placed: _Placed, describe
) -> list[Item]:
    """The items of one section: its paragraphs with the removed ones placed among them."""
    items = []
    for paragraph in paragraphs:
        items.extend(placed.before.get(paragraph.id, []))
        items.append(describe(paragraph))
        items.extend(placed.after.get(paragraph.id, []))
    return items + placed.at_end.get(section_id, [])


def _sections(nodes, placed: _Placed, describe) -> list[SectionChanges]:
    """The comparison of each current section and, nested, of its subsections."""
    return [
        SectionChanges(
            node.section,
            _items_of(node.paragraphs, node.section.id, placed, describe),
            _sections(node.children, placed, describe),
        )
        for node in nodes
    ]


def _removed_sections(placed: _Placed, previous: _Previous) -> list[RemovedSection]:
    """The previous sections that went whole, in their old order, with their paragraphs."""
    sections = previous.sections
    return [
        RemovedSection(sections[sid].heading, sections[sid].number, items)
        for sid, items in sorted(placed.homeless.items(), key=lambda kv: sections[kv[0]].position)
    ]


def _totals(current: list[Paragraph], previous: _Previous, removed: int) -> dict[str, int]:
    """How many paragraphs are unchanged, changed, new and removed."""
    totals = {"unchanged": 0, "changed": 0, "new": 0, "removed": removed}
    for paragraph in current:
        totals[item_for_change(paragraph, previous.by_id)] += 1
    return totals


def aligned_span(old: str, new: str) -> str:
    """Return the stretch of ``old`` that ``new`` was taken from (first to last shared word)."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    blocks = [m for m in SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks() if m.size]
    if not blocks:
        return old
    return "".join(a[blocks[0].a : blocks[-1].a + blocks[-1].size]).strip()


def item_for_change(paragraph: Paragraph, old_by_id: dict[int, Paragraph]) -> str:
    """Return the change of ``paragraph`` as a plain string (new when its link is gone)."""
    if paragraph.previous_id not in old_by_id:
        return "new"
    return str(paragraph.change or "new")


def _walk(view):
    stack = list(view.sections)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


def _merged(removed: list[Paragraph], current: list[Paragraph]) -> dict[int, Paragraph]:
    """Return, for removed paragraphs whose words went into a new paragraph, that paragraph."""
    by_id = {p.id: p for p in current}
    found = versions.merged_into(
        [versions.Block(p.id, p.text) for p in removed],
        [versions.Block(p.id, p.text) for p in current],
    )
    return {old_id: by_id[new_id] for old_id, new_id in found.items()}

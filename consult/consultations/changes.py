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
    old = list(
        session.scalars(
            select(Paragraph)
            .where(Paragraph.document_id == earlier.document.id)
            .order_by(Paragraph.position)
        )
    )
    old_sections = {
        s.id: s
        for s in session.scalars(select(Section).where(Section.document_id == earlier.document.id))
    }
    old_by_id = {p.id: p for p in old}
    counts = _earlier_counts(session, earlier)
    cues = {"removed_cue": _("Removed:"), "added_cue": _("Added:")}

    new_in_order: list[Paragraph] = []

    def collect(nodes):
        for node in nodes:
            new_in_order.extend(node.paragraphs)
            collect(node.children)

    new_in_order.extend(view.preamble)
    collect(view.sections)
    successor: dict[int, Paragraph] = {}
    parts: Counter = Counter()
    for paragraph in new_in_order:
        if paragraph.previous_id is not None:
            successor.setdefault(paragraph.previous_id, paragraph)
            parts[paragraph.previous_id] += 1

    def item_for(paragraph: Paragraph) -> Item:
        previous = old_by_id.get(paragraph.previous_id)
        change = (paragraph.change or "new") if previous is not None else "new"
        split = previous is not None and parts[previous.id] > 1
        diff = None
        if change == "changed":
            # A part of a split is compared with the part of the old text it came from.
            old_text = aligned_span(previous.text, paragraph.text) if split else previous.text
            diff = word_diff(old_text, paragraph.text, **cues)
        return Item(
            str(change),
            paragraph,
            previous,
            diff,
            earlier_comments=counts.get(previous.id, 0) if previous is not None else 0,
            split=split,
        )

    # Place each removed paragraph next to where its neighbours went.
    removed = [p for p in old if p.id not in successor]
    after: dict[int, list[Item]] = {}
    before: dict[int, list[Item]] = {}
    at_end: dict[int | None, list[Item]] = {}
    homeless: dict[int | None, list[Item]] = {}
    headings = {versions.normalise(s.section.heading).lower(): s.section.id for s in _walk(view)}
    merged = _merged(removed, new_in_order)
    for paragraph in removed:
        gone = Item(
            "removed",
            previous=paragraph,
            merged_into=merged.get(paragraph.id),
            earlier_comments=counts.get(paragraph.id, 0),
        )
        siblings = [p for p in old if p.section_id == paragraph.section_id]
        index = siblings.index(paragraph)
        prior = next(
            (successor[p.id] for p in reversed(siblings[:index]) if p.id in successor), None
        )
        later = next((successor[p.id] for p in siblings[index + 1 :] if p.id in successor), None)
        if prior is not None:
            after.setdefault(prior.id, []).append(gone)
        elif later is not None:
            before.setdefault(later.id, []).append(gone)
        else:
            section = old_sections.get(paragraph.section_id)
            key = versions.normalise(section.heading).lower() if section else None
            if section is None:
                at_end.setdefault(None, []).append(gone)
            elif key in headings:
                at_end.setdefault(headings[key], []).append(gone)
            else:
                homeless.setdefault(section.id, []).append(gone)

    def items_of(paragraphs: list[Paragraph], section_id: int | None) -> list[Item]:
        items = []
        for paragraph in paragraphs:
            items.extend(before.get(paragraph.id, []))
            items.append(item_for(paragraph))
            items.extend(after.get(paragraph.id, []))
        return items + at_end.get(section_id, [])

    def build(nodes) -> list[SectionChanges]:
        return [
            SectionChanges(
                node.section,
                items_of(node.paragraphs, node.section.id),
                build(node.children),
            )
            for node in nodes
        ]

    preamble = SectionChanges(None, items_of(view.preamble, None))
    sections = build(view.sections)
    removed_sections = [
        RemovedSection(old_sections[sid].heading, old_sections[sid].number, items)
        for sid, items in sorted(homeless.items(), key=lambda kv: old_sections[kv[0]].position)
    ]
    totals = {"unchanged": 0, "changed": 0, "new": 0, "removed": len(removed)}
    for paragraph in new_in_order:
        totals[item_for_change(paragraph, old_by_id)] += 1
    return Changes(round_, earlier, preamble, sections, removed_sections, totals)


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

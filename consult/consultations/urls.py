"""Addresses of the reading pages, for any area that links to a comment in its thread."""

from __future__ import annotations

from flask import url_for

from ..models import Comment, Round


def thread_url(round_: Round, key: str, **kwargs) -> str:
    """Return the URL of the comment thread on target ``key`` of ``round_``."""
    return url_for(
        "consultations.thread",
        slug=round_.consultation.slug,
        number=round_.number,
        target=key,
        **kwargs,
    )


def target_key(comment: Comment) -> str:
    """The thread key of what ``comment`` (or, for a reply, its parent) is about."""
    top = comment.parent or comment
    if top.paragraph is not None:
        return top.paragraph.anchor
    if top.section is not None:
        return top.section.anchor
    return "doc"


def comment_url(comment: Comment) -> str:
    """The URL of ``comment`` in its thread."""
    return thread_url(comment.round, target_key(comment)) + f"#c-{comment.id}"

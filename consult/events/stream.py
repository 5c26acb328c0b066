"""The stream link of an event: always shown as a link, and embedded where the provider allows.

Only YouTube (through its no-cookie domain) and Vimeo are embedded; the Content-Security-Policy
(``consult.security``) permits exactly their players as frame sources. Any other provider
gets the link alone.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

# The frame sources the Content-Security-Policy permits, and nothing else.
FRAME_SOURCES = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
_VIMEO_ID = re.compile(r"^[0-9]{1,12}$")
_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com"}


def is_https(url: str) -> bool:
    """Whether ``url`` is an absolute https address with a host (no javascript:, no http:)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and not any(ord(c) < 33 for c in url)


def embed_url(url: str) -> str | None:
    """The player address to embed for a stream link, or None when it cannot be embedded."""
    if not url or not is_https(url):
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = [piece for piece in parts.path.split("/") if piece]
    video = None
    if host in _YOUTUBE_HOSTS:
        if path == ["watch"]:
            video = (parse_qs(parts.query).get("v") or [None])[0]
        elif len(path) == 2 and path[0] in ("live", "embed"):
            video = path[1]
        if video and _YOUTUBE_ID.match(video):
            return f"https://www.youtube-nocookie.com/embed/{video}"
        return None
    if host == "youtu.be":
        if len(path) == 1 and _YOUTUBE_ID.match(path[0]):
            return f"https://www.youtube-nocookie.com/embed/{path[0]}"
        return None
    if host in ("vimeo.com", "www.vimeo.com"):
        if len(path) == 1 and _VIMEO_ID.match(path[0]):
            return f"https://player.vimeo.com/video/{path[0]}"
    return None

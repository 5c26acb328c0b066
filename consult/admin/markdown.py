"""Turn a draft paragraph's sanitised HTML back into the Markdown an administrator edits.

A paragraph is stored as HTML (the importer's output). To fix its text, the administrator
edits Markdown, which goes through the importer's path again, so an edited paragraph is
sanitised exactly like an imported one. The tags handled are the sanitiser's allowlist for
drafts; the conversion is exact: importing the Markdown gives back the same HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Characters Markdown reads as formatting anywhere in a line.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&!~])")
# Line starts Markdown reads as a list, a heading underline or a thematic break.
_BLOCK_START = re.compile(r"^(\s*)([-+=])|^(\s*)(\d+)([.)])")


def _escape(text: str) -> str:
    return _INLINE_SPECIAL.sub(r"\\\1", text)


def _escape_line_starts(text: str) -> str:
    def fix(match: re.Match) -> str:
        if match[2]:
            return f"{match[1]}\\{match[2]}"
        return f"{match[3]}{match[4]}\\{match[5]}"

    return "\n".join(_BLOCK_START.sub(fix, line, count=1) for line in text.split("\n"))


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    VOID = {"br"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def _inline(node: _Node | str) -> str:
    if isinstance(node, str):
        return _escape(node)
    # A hard line break is a backslash before the newline the HTML already has.
    inner = "".join(_inline(child) for child in node.children).replace("\\\n\n", "\\\n")
    if node.tag == "br":
        return "\\\n"
    if node.tag in ("strong", "em"):
        marker = "**" if node.tag == "strong" else "*"
        core = inner.strip()
        if not core:
            return inner
        lead = inner[: len(inner) - len(inner.lstrip())]
        trail = inner[len(inner.rstrip()) :]
        return f"{lead}{marker}{core}{marker}{trail}"
    if node.tag == "code":
        text = "".join(c if isinstance(c, str) else _plain(c) for c in node.children)
        fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
        pad = " " if text.startswith("`") or text.endswith("`") else ""
        return f"{fence}{pad}{text}{pad}{fence}"
    if node.tag == "a":
        href = node.attrs.get("href", "")
        return f"[{inner}](<{href}>)" if href else inner
    return inner


def _plain(node: _Node | str) -> str:
    if isinstance(node, str):
        return node
    return "".join(_plain(child) for child in node.children)


def _elements(node: _Node) -> list[_Node]:
    return [c for c in node.children if isinstance(c, _Node)]


def _block(node: _Node, indent: str = "") -> str:
    if node.tag == "p":
        return _escape_line_starts(_inline(node).strip())
    if node.tag in ("ul", "ol"):
        return _list(node)
    if node.tag == "table":
        return _table(node)
    if node.tag == "blockquote":
        inner = "\n\n".join(_block(child) for child in _elements(node))
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    return _escape_line_starts(_inline(node).strip())


def _list(node: _Node) -> str:
    ordered = node.tag == "ol"
    start = int(node.attrs.get("start") or 1) if ordered else 1
    items = [c for c in _elements(node) if c.tag == "li"]
    loose = any(child.tag == "p" for item in items for child in _elements(item))
    rendered = []
    for n, item in enumerate(items, start):
        marker = f"{n}. " if ordered else "- "
        pad = " " * len(marker)
        parts, inline = [], []
        for child in item.children:
            if isinstance(child, _Node) and child.tag in ("p", "ul", "ol", "table", "blockquote"):
                if "".join(inline).strip():
                    parts.append(_escape_line_starts("".join(inline).strip()))
                    inline = []
                parts.append(_block(child))
            else:
                inline.append(_inline(child))
        if inline and "".join(inline).strip():
            parts.append(_escape_line_starts("".join(inline).strip()))
        body = ("\n\n" if loose else "\n").join(parts)
        lines = body.split("\n")
        rendered.append(
            marker + lines[0] + "".join(f"\n{pad}{line}" if line else "\n" for line in lines[1:])
        )
    return ("\n\n" if loose else "\n").join(rendered)


def _table(node: _Node) -> str:
    rows = []
    for section in _elements(node):
        candidates = _elements(section) if section.tag in ("thead", "tbody") else [section]
        rows.extend(r for r in candidates if r.tag == "tr")
    lines = []
    for i, row in enumerate(rows):
        cells = [
            " ".join("".join(_inline(c) for c in cell.children).replace("\\\n", " ").split())
            for cell in _elements(row)
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0:
            lines.append("|" + "|".join("---" for _ in cells) + "|")
    return "\n".join(lines)


def to_markdown(html: str) -> str:
    """Return Markdown that the draft importer turns back into ``html``."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    blocks, loose = [], []
    for child in builder.root.children:
        if isinstance(child, _Node) and child.tag in ("p", "ul", "ol", "table", "blockquote"):
            blocks.append(_block(child))
        else:
            # Inline content outside a block (e.g. what is left of a code block).
            loose.append(_inline(child))
    text = _escape_line_starts("".join(loose).replace("\\\n\n", "\\\n").strip())
    return "\n\n".join(b for b in [text, *blocks] if b)

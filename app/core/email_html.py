"""Email HTML made safe and small enough to lay out: ``prepare_email``.

Qt's rich text engine is far from linear on some shapes of HTML: thousands of
``<img>`` tags or deeply nested ``<div>`` blocks take seconds to parse, and a
large table takes seconds to lay out. An email is therefore prepared before Qt
sees it (on a worker thread, this module has no Qt):

- sanitised with ``nh3`` (the ammonia HTML sanitiser): only presentational tags
  and attributes are kept; scripts, styles, forms, frames and event handlers are
  removed with their content; images keep their ``src`` only when it is a
  ``data:`` URL (remote images are counted, never fetched);
- measured against a budget (characters, elements, nesting depth, images). An
  email within it is shown as HTML; one beyond it is shown as plain text, with
  the reason, and the user may ask for the full message (``FULL_MESSAGE``: a far
  larger budget, still prepared and laid out off the GUI thread).

The plain text (tags stripped, entities decoded, whitespace tidied) is always
computed, as the fallback and for previews.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import nh3

__all__ = [
    "DEFAULT_BUDGET",
    "FULL_MESSAGE",
    "EmailBudget",
    "PreparedEmail",
    "plain_text",
    "prepare_email",
    "split_blocks",
]


@dataclass(frozen=True, slots=True)
class EmailBudget:
    """How much HTML one email may hold to be shown as HTML."""

    max_chars: int
    max_elements: int
    max_depth: int
    max_images: int
    max_table_depth: int
    """Tables nested deeper become plain blocks: Qt lays nested tables out many times over."""
    max_text_chars: int
    """Longest plain-text fallback shown (the rest is cut, with a note)."""


DEFAULT_BUDGET = EmailBudget(
    max_chars=150_000,
    max_elements=2_000,
    max_depth=24,
    max_images=40,
    max_table_depth=3,
    max_text_chars=20_000,
)
"""What a newsletter needs; laid out by Qt in well under 100 ms."""
FULL_MESSAGE = EmailBudget(
    max_chars=5_000_000,
    max_elements=200_000,
    max_depth=64,
    max_images=400,
    max_table_depth=3,
    max_text_chars=2_000_000,
)
"""When the user asked for the whole message (prepared and laid out off the GUI thread)."""

_TAGS = {
    "a", "abbr", "address", "b", "big", "blockquote", "br", "caption", "center", "cite",
    "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "font", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var",
}  # fmt: skip
_ATTRIBUTES = {
    "*": {"align", "dir", "style", "title", "valign"},
    "a": {"href"},
    "font": {"color", "face", "size"},
    "img": {"alt", "height", "src", "width"},
    "table": {"bgcolor", "border", "cellpadding", "cellspacing", "width"},
    "td": {"bgcolor", "colspan", "rowspan", "width", "nowrap"},
    "th": {"bgcolor", "colspan", "rowspan", "width", "nowrap"},
    "tr": {"bgcolor"},
    "col": {"span", "width"},
    "ol": {"start", "type"},
}
_DROPPED_WITH_CONTENT = {
    "script", "style", "head", "title", "iframe", "object", "embed", "noscript", "template",
    "svg", "math", "form", "select", "textarea", "button", "audio", "video", "canvas",
}  # fmt: skip
_URL_SCHEMES = {"http", "https", "mailto", "data"}

_START_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9]*)")
_ANY_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*?(/?)>")
_TABLE_TAG = re.compile(r"<(/?)(table|tbody|thead|tfoot|tr|td|th)\b[^>]*>", re.IGNORECASE)
_SOURCELESS_IMAGE = re.compile(r"(?i)<img\b(?![^>]*\bsrc=)[^>]*>")
_VOID = frozenset({"br", "hr", "img", "col", "area", "base", "input", "meta", "link", "wbr"})
_BLOCK_BREAK = re.compile(r"(?i)<\s*(?:br|/p|/div|/tr|/li|/h[1-6]|/table|/blockquote)\b[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


@dataclass(frozen=True, slots=True)
class PreparedEmail:
    """An email body ready to show: ``html`` when it fits the budget, else None and
    ``over_budget`` says why; ``text`` is the plain-text fallback in any case. Elements
    nested deeper than the budget allows are unwrapped (their text kept)."""

    html: str | None
    text: str
    text_cut: bool
    """Whether ``text`` was cut at the budget's ``max_text_chars``."""
    chars: int
    elements: int
    depth: int
    remote_images: int
    """Images (and other resources) the email asked to load from elsewhere (never loaded)."""
    over_budget: str | None
    """Why the HTML is not shown ("1.2 MB of HTML", "9,000 elements"...), or None."""


def plain_text(markup: str, limit: int | None = None) -> tuple[str, bool]:
    """The text of ``markup``: tags stripped (line breaks kept at block ends), entities
    decoded, whitespace tidied; cut at ``limit`` characters (with the flag)."""
    marked = _BLOCK_BREAK.sub("\n", markup)
    stripped = nh3.clean(marked, tags=set(), clean_content_tags=_DROPPED_WITH_CONTENT)
    text = html.unescape(stripped).replace("\u00a0", " ")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    if limit is not None and len(text) > limit:
        return text[:limit].rstrip() + "…", True
    return text, False


def _flatten(markup: str, max_depth: int) -> tuple[str, int]:
    """``markup`` with every element nested deeper than ``max_depth`` unwrapped (its text
    kept): Qt parses deep nesting in quadratic time. Returns the markup and its depth."""
    pieces: list[str] = []
    depth = deepest = 0
    last = 0
    dropped: list[bool] = []
    for match in _ANY_TAG.finditer(markup):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        keep = True
        if closing:
            keep = not dropped.pop() if dropped else True
            depth = max(0, depth - 1)
        elif name not in _VOID and not self_closing:
            depth += 1
            keep = depth <= max_depth
            dropped.append(not keep)
            deepest = max(deepest, min(depth, max_depth))
        if not keep:
            pieces.append(markup[last : match.start()])
            last = match.end()
    if last == 0:
        return markup, deepest
    pieces.append(markup[last:])
    return "".join(pieces), deepest


def _limit_tables(markup: str, max_depth: int) -> str:
    """``markup`` with tables nested deeper than ``max_depth`` turned into plain blocks
    (each cell a ``<div>``): their text stays, Qt's cost of nested tables goes."""
    pieces: list[str] = []
    depth = 0
    last = 0
    for match in _TABLE_TAG.finditer(markup):
        closing, name = match.group(1), match.group(2).lower()
        if name == "table" and not closing:
            depth += 1
        inner = depth > max_depth
        if name == "table" and closing:
            depth = max(0, depth - 1)
        if inner:
            pieces.append(markup[last : match.start()])
            if name in ("td", "th"):
                pieces.append("</div>" if closing else "<div>")
            last = match.end()
    if last == 0:
        return markup
    pieces.append(markup[last:])
    return "".join(pieces)


def split_blocks(markup: str, max_elements: int) -> list[str]:
    """Sanitised ``markup`` cut into pieces of at most about ``max_elements`` elements each,
    at element boundaries (a piece is well-formed on its own), so a long message can be
    shown piece by piece. A container too big for one piece is unwrapped (its children
    become pieces; its own tag and attributes are dropped)."""
    pieces: list[str] = []
    current: list[str] = []
    count = 0

    def flush() -> None:
        nonlocal count
        if current:
            pieces.append("".join(current))
            current.clear()
            count = 0

    for part, elements, inner in _top_level(markup):
        if elements > max_elements and inner is not None:
            flush()
            pieces.extend(split_blocks(inner, max_elements))
            continue
        if count + elements > max_elements:
            flush()
        current.append(part)
        count += elements
    flush()
    return pieces


def _top_level(markup: str) -> list[tuple[str, int, str | None]]:
    """The top-level parts of well-formed ``markup``: (text, element count, the inner
    markup of an element or None for text and void elements)."""
    parts: list[tuple[str, int, str | None]] = []
    depth = 0
    start = 0
    inner_start = 0
    elements = 0
    for match in _ANY_TAG.finditer(markup):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            depth = max(0, depth - 1)
            if depth == 0:
                end = match.end()
                parts.append((markup[start:end], elements, markup[inner_start : match.start()]))
                start = end
            continue
        if depth == 0:
            if match.start() > start:
                parts.append((markup[start : match.start()], 0, None))
            start = match.start()
            elements = 0
            inner_start = match.end()
        elements += 1
        if name in _VOID or self_closing:
            if depth == 0:
                parts.append((markup[start : match.end()], 1, None))
                start = match.end()
            continue
        depth += 1
    if start < len(markup):
        parts.append((markup[start:], elements if depth else 0, None))
    return parts


def _count(value: int, noun: str) -> str:
    return f"{value:,} {noun}"


def prepare_email(markup: str, budget: EmailBudget = DEFAULT_BUDGET) -> PreparedEmail:
    """Sanitise ``markup`` and check it against ``budget`` (pure Python and Rust; run it
    off the GUI thread for large bodies: about 1 ms per 10 KB)."""
    chars = len(markup)
    text, cut = plain_text(markup, budget.max_text_chars)
    remote = 0

    def keep_attribute(tag: str, attribute: str, value: str) -> str | None:
        nonlocal remote
        if tag == "img" and attribute == "src":
            if value.strip().lower().startswith("data:image/"):
                return value
            remote += 1
            return None
        if attribute == "style" and "url(" in value.lower():
            remote += 1
            return None  # a background image from elsewhere: never fetched
        return value

    def refuse(reason: str, elements: int = 0, depth: int = 0) -> PreparedEmail:
        return PreparedEmail(None, text, cut, chars, elements, depth, remote, reason)

    if chars > budget.max_chars:
        return refuse(f"{chars / 1000:,.0f} KB of HTML")
    elements = len(_START_TAG.findall(markup))
    if elements > budget.max_elements:
        return refuse(_count(elements, "HTML elements"), elements)
    clean = nh3.clean(
        markup,
        tags=_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=keep_attribute,
        url_schemes=_URL_SCHEMES,
        strip_comments=True,
        link_rel=None,
    )
    clean = _SOURCELESS_IMAGE.sub("", clean)  # a remote image, its address dropped above
    images = clean.lower().count("<img")
    if images > budget.max_images:
        return refuse(_count(images, "images"), elements)
    clean, depth = _flatten(clean, budget.max_depth)
    clean = _limit_tables(clean, budget.max_table_depth)
    return PreparedEmail(clean, text, cut, chars, elements, depth, remote, None)

"""Plain text to the small HTML subset Telegram and Matrix both render.

Web and e-mail addresses in the assistant's own text become links; text that came from a
user (a name, a question, an unknown command) is escaped and never made a link, so the
bot cannot be made to post a link an attacker chose. The core marks such text with
`user_text` wherever it composes a message (a UI string's placeholder, an f-string, a
join: the marks travel with the text); `unmark` turns a marked text into the plain text
and the spans of user text in it, which is what `Reply` keeps and `to_html` renders.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

Span = tuple[int, int]  # [start, end) of user text in a plain text

# Unicode noncharacters, "permanently reserved for internal use": never sent, and removed
# from user text before it is marked, so a user cannot open or close a mark.
OPEN, CLOSE = "\ufdd0", "\ufdd1"
_MARKS = re.compile(f"[{OPEN}{CLOSE}]")
_MARKED = re.compile(f"{OPEN}([^{OPEN}{CLOSE}]*){CLOSE}")

# An e-mail address starts only where a run of its characters starts (the look-behind),
# so a long run without spaces is scanned once, not once per character (quadratic before);
# its domain's labels start and end with a letter or digit, and its last is 2+ letters.
_LINK = re.compile(
    r"(https?://[^\s<>\"]+[^\s<>\".,;:!?)])"
    r"|(?<![\w.+-])([\w.+-]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,})"
)


def user_text(value: object) -> str:
    """Mark text that came from a user: it is escaped, never made a link."""
    text = _MARKS.sub("", str(value))
    return f"{OPEN}{text}{CLOSE}" if text else ""


def unmark(text: str) -> tuple[str, tuple[Span, ...]]:
    """The plain text without marks, and the spans of user text in it."""
    if OPEN not in text and CLOSE not in text:
        return text, ()
    plain: list[str] = []
    spans: list[Span] = []
    length = last = 0
    for found in _MARKED.finditer(text):
        before = _MARKS.sub("", text[last:found.start()])  # a stray mark is dropped
        plain.append(before)
        length += len(before)
        inner = found.group(1)
        if inner:
            spans.append((length, length + len(inner)))
            plain.append(inner)
            length += len(inner)
        last = found.end()
    plain.append(_MARKS.sub("", text[last:]))
    return "".join(plain), tuple(spans)


def spans_within(spans: Sequence[Span], start: int, end: int) -> tuple[Span, ...]:
    """The parts of `spans` inside text[start:end], counted from `start`."""
    return tuple(
        (max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start
    )


def to_html(text: str, user: Sequence[Span] = ()) -> str:
    """Escape everything; make web and e-mail addresses links, except inside `user` spans."""
    parts: list[str] = []
    last = 0
    for start, end in sorted(user):
        if start < last:
            start = last
        parts.append(_linked(text[last:start]))
        parts.append(html.escape(text[start:end], quote=False))
        last = max(last, end)
    parts.append(_linked(text[last:]))
    return "".join(parts)


def _linked(text: str) -> str:
    parts: list[str] = []
    last = 0
    for found in _LINK.finditer(text):
        parts.append(html.escape(text[last:found.start()], quote=False))
        url, email = found.group(1), found.group(2)
        target = url if url else f"mailto:{email}"
        label = url or email
        parts.append(f'<a href="{html.escape(target)}">{html.escape(label, quote=False)}</a>')
        last = found.end()
    parts.append(html.escape(text[last:], quote=False))
    return "".join(parts)

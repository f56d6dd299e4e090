"""What Telegram accepts as HTML in a message, checked the way the Bot API parses it.

Used by the unit and end-to-end tests of long messages: tags only `<a href="...">` and
`</a>`, balanced and not nested; `&` only in a complete entity; the length Telegram counts
is the visible text's, in UTF-16 code units.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r'<a href="[^"<>]*">|</a>')
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot);")


def visible_text(message: str) -> str:
    """The text a reader sees; AssertionError if Telegram would reject the HTML."""
    depth = 0
    for tag in _TAG.finditer(message):
        depth += -1 if tag.group() == "</a>" else 1
        assert depth in (0, 1), f"nested or unbalanced <a> in {message!r}"
    assert depth == 0, f"an <a> left open in {message!r}"
    text = _TAG.sub("", message)
    assert "<" not in text and ">" not in text, f"a tag Telegram does not know in {message!r}"
    assert "&" not in _ENTITY.sub("", text), f"an incomplete entity in {message!r}"
    return html.unescape(text)


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def links(message: str) -> list[str]:
    """The link labels in a message's HTML, as shown ("x&amp;" is "x&")."""
    return [html.unescape(label) for label in re.findall(r'<a href="[^"]*">([^<]*)</a>', message)]

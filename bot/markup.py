"""Plain text to the small HTML subset Telegram and Matrix both render."""

from __future__ import annotations

import html
import re

_LINK = re.compile(r"(https?://[^\s<>\"]+[^\s<>\".,;:!?)])|([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


def to_html(text: str) -> str:
    """Escape everything, then make web addresses and e-mail addresses links."""
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


"""Replies longer than one Telegram message: split the plain text, then render each part.

Telegram counts a message's length in UTF-16 code units of its visible text and rejects
HTML cut inside a tag or an entity; a retry after a failed part must not repeat the parts
that went out.
"""

from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace
from typing import Any, cast
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from telegram import Bot
from telegram.error import NetworkError, RetryAfter

import handlers.telegram as telegram_adapter
from bot.markup import spans_within, to_html, unmark, user_text
from bot.messages import Reply
from bot.transport import DeliveryError, RetryLater
from handlers.telegram import send_reply, split_text
from tests.telegram_html import links, utf16_units, visible_text

# Words that stress the cut: entities, tags, links, e-mail addresses, astral characters.
WORDS = st.sampled_from([
    "a", "słowo", "&", "a&b", "<a", "</a>", "<b>", "&amp;", "\"q\"", "https://www.irif.eu/x",
    "d.czerw@iccsm.network", "😀", "😀😀😀", "𝔘𝔫𝔦", "x" * 30, "zażółć",
])
SEPARATORS = st.sampled_from([" ", " ", "\n", "\n\n", "", "  "])
TEXTS = st.lists(st.tuples(WORDS, SEPARATORS), max_size=80).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)


class SendingBot:
    """A Bot API stand-in that really awaits; its `fail_on` send_message call raises `error`."""

    def __init__(self, fail_on: int | None = None, error: Exception | None = None) -> None:
        self.fail_on, self.error = fail_on, error
        self.attempts = 0
        self.delivered: list[str] = []

    async def send_message(self, chat_id: str, text: str, **_: Any) -> Any:
        await telegram_adapter.asyncio.sleep(0)
        self.attempts += 1
        if self.attempts == self.fail_on and self.error is not None:
            raise self.error
        self.delivered.append(text)
        return SimpleNamespace(message_id=self.attempts)


@given(TEXTS, st.integers(min_value=1, max_value=50))
def test_split_parts_fit_and_join_back_to_the_whole_text(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert "".join(parts) == text
    assert all(0 < utf16_units(p) <= max(limit, 2) for p in parts)  # an astral char is 2


@given(TEXTS, st.text(max_size=40), st.integers(min_value=8, max_value=60))
@example(own="https://www.irif.eu/x& ", users="", limit=22)  # a label with "&" (once failed)
@settings(deadline=None)
async def test_every_sent_part_is_valid_html_within_the_limit(
    own: str, users: str, limit: int
) -> None:
    # The second copy on its own line: glued to the first, its first word could extend a
    # link that ends the first copy into one the bot never wrote.
    reply = Reply.of(own + user_text(users) + "\n" + own)
    bot = SendingBot()
    with mock.patch.object(telegram_adapter, "TEXT_LIMIT", limit):
        await send_reply(cast(Bot, bot), "42", reply)
    shown = [visible_text(message) for message in bot.delivered]
    assert all(utf16_units(text) <= limit for text in shown)
    assert re.sub(r"\s", "", "".join(shown)) == re.sub(r"\s", "", reply.text)
    assert all(label in own for message in bot.delivered for label in links(message))


def test_a_long_answer_is_cut_at_paragraphs_then_lines_then_words() -> None:
    paragraph = "\n".join(["Kielce " * 12] * 5)  # 5 lines of 84 characters
    text = "\n\n".join([paragraph] * 30)  # ~12,800 characters
    parts = split_text(text)
    assert len(parts) == 4
    assert all(p.endswith("\n\n") for p in parts[:-1])
    one_line = " ".join(["słowo"] * 2000)
    assert all(p.endswith(" ") for p in split_text(one_line)[:-1])


def test_user_text_across_a_cut_is_a_link_in_neither_part() -> None:
    text, spans = unmark("x" * 4090 + " " + user_text("a@evil.example http://evil.example/login"))
    parts = split_text(text)
    assert len(parts) == 2
    start = 0
    for part in parts:
        assert links(to_html(part, spans_within(spans, start, start + len(part)))) == []
        start += len(part)


async def test_a_failed_second_part_is_retried_without_resending_the_first() -> None:
    reply = Reply.of("\n\n".join([f"Akapit {n} " + "x" * 3000 for n in range(3)]))
    bot = SendingBot(fail_on=2, error=NetworkError("connection reset"))
    with pytest.raises(DeliveryError) as failed:
        await send_reply(cast(Bot, bot), "42", reply)
    assert failed.value.parts_sent == 1
    retry = dataclasses.replace(reply, parts_sent=failed.value.parts_sent)
    await send_reply(cast(Bot, bot), "42", retry)
    assert [message[:8] for message in bot.delivered] == ["Akapit 0", "Akapit 1", "Akapit 2"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter(int)
async def test_flood_control_on_the_third_part_says_two_went_out() -> None:
    reply = Reply.of("\n\n".join(["x" * 3000] * 4))
    with pytest.raises(RetryLater) as paused:
        await send_reply(cast(Bot, SendingBot(fail_on=3, error=RetryAfter(5))), "42", reply)
    assert paused.value.parts_sent == 2

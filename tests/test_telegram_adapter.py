"""The Telegram adapter's translation, offline: updates -> Incoming, Reply -> Bot API calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import pytest
from telegram import Bot, Update, User
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.config import Config, ConfigError
from bot.messages import Attachment, Button, Reply, Venue
from bot.transport import DeliveryError, RecipientGone, RetryLater, TransportDown
from handlers.telegram import (
    TelegramTransport,
    _retrying,
    incoming_button,
    incoming_message,
    keyboard,
    send_reply,
    split_text,
)

ME = User(id=666, first_name="IRLF", is_bot=True, username="IrlfBot")
ANIA = {"id": 42, "is_bot": False, "first_name": "Ania", "last_name": "Nowak",
        "language_code": "en"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Ania"}
GROUP = {"id": -100, "type": "supergroup", "title": "Partners"}


def message(text: str | None = "hello", chat: dict[str, Any] = PRIVATE, **extra: Any) -> Any:
    data = {"message_id": 7, "date": 1, "chat": chat, "from": ANIA, **extra}
    if text is not None:
        data["text"] = text
    update = Update.de_json({"update_id": 1, "message": data}, bot=None)
    assert update is not None and update.message is not None
    return update.message


def command(text: str, chat: dict[str, Any] = PRIVATE) -> Any:
    length = len(text.split()[0])
    return message(text, chat, entities=[{"type": "bot_command", "offset": 0, "length": length}])


def mention(text: str, name: str) -> list[dict[str, Any]]:
    return [{"type": "mention", "offset": text.index(name), "length": len(name)}]


# update -> Incoming


def test_private_text_is_addressed_with_the_senders_details() -> None:
    msg = incoming_message(message("gdzie jest forum"), ME)
    assert (msg.transport, msg.chat_id, msg.sender_id) == ("telegram", "42", "42")
    assert (msg.text, msg.sender_name) == ("gdzie jest forum", "Ania Nowak")
    assert msg.language_hint == "en"
    assert msg.is_private and msg.addressed and msg.is_text
    assert (msg.command, msg.message_id, msg.reply_to) == (None, "7", None)


def test_command_with_the_bots_name_gives_command_and_args() -> None:
    msg = incoming_message(command("/Venue@IrlfBot  hall  B"), ME)
    assert (msg.command, msg.args, msg.text) == ("venue", "hall  B", "/Venue hall B")
    assert msg.addressed


def test_unknown_command_is_passed_to_the_core() -> None:
    assert incoming_message(command("/teleport now"), ME).command == "teleport"


def test_command_for_another_bot_in_a_group_is_not_addressed() -> None:
    msg = incoming_message(command("/venue@OtherBot", GROUP), ME)
    assert msg.command is None and not msg.addressed and not msg.is_private


def test_plain_group_message_is_not_addressed() -> None:
    msg = incoming_message(message("gdzie jest forum", GROUP), ME)
    assert not msg.addressed and not msg.is_private


def test_an_anonymous_admin_writing_as_the_group_moderates_it() -> None:
    as_group = [{"type": "bot_command", "offset": 0, "length": 5}]
    anonymous = incoming_message(message("/lang en", GROUP, sender_chat=GROUP, entities=as_group), ME)
    assert anonymous.is_room_moderator
    channel = {"id": -200, "type": "channel", "title": "News"}  # a linked channel is not
    assert not incoming_message(message("/lang en", GROUP, sender_chat=channel), ME).is_room_moderator
    assert not incoming_message(command("/lang en", GROUP), ME).is_room_moderator


def test_group_mention_is_addressed_and_stripped() -> None:
    text = "@irlfbot, gdzie jest forum?"
    msg = incoming_message(message(text, GROUP, entities=mention(text, "@irlfbot")), ME)
    assert msg.addressed and msg.text == "gdzie jest forum?"


def test_mention_of_someone_else_is_not_addressed() -> None:
    text = "@kasia gdzie jest forum?"
    msg = incoming_message(message(text, GROUP, entities=mention(text, "@kasia")), ME)
    assert not msg.addressed and msg.text == text


def test_text_mention_of_the_bot_is_addressed() -> None:
    entity = {"type": "text_mention", "offset": 0, "length": 4, "user": ME.to_dict()}
    assert incoming_message(message("IRLF kiedy?", GROUP, entities=[entity]), ME).addressed


def test_reply_to_the_bot_is_addressed_and_names_the_replied_message() -> None:
    bots = {"message_id": 5, "date": 1, "chat": GROUP, "from": ME.to_dict(), "text": "..."}
    msg = incoming_message(message("a kiedy?", GROUP, reply_to_message=bots), ME)
    assert msg.addressed and msg.reply_to == "5"


def test_reply_to_a_person_in_a_group_is_not_addressed() -> None:
    theirs = {"message_id": 5, "date": 1, "chat": GROUP, "from": ANIA, "text": "..."}
    msg = incoming_message(message("zgadzam się", GROUP, reply_to_message=theirs), ME)
    assert not msg.addressed and msg.reply_to == "5"


def test_sticker_is_not_text() -> None:
    sticker = {"file_id": "f", "file_unique_id": "u", "type": "regular", "width": 1,
               "height": 1, "is_animated": False, "is_video": False}
    msg = incoming_message(message(None, sticker=sticker), ME)
    assert not msg.is_text and msg.text == ""


def test_photo_with_caption_is_not_text() -> None:
    photo = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    msg = incoming_message(message(None, photo=photo, caption="look"), ME)
    assert not msg.is_text and msg.text == "look"


def tap(data: str | None, chat: dict[str, Any] = PRIVATE) -> Any:
    query = {"id": "9", "from": ANIA, "chat_instance": "c",
             "message": {"message_id": 3, "date": 1, "chat": chat, "text": "?"}}
    if data is not None:
        query["data"] = data
    update = Update.de_json({"update_id": 2, "callback_query": query}, bot=None)
    assert update is not None
    return update.callback_query


def test_tapped_button_is_a_command_with_its_payload() -> None:
    msg = incoming_button(tap("show venue", GROUP))
    assert msg is not None
    assert (msg.command, msg.args, msg.payload) == ("show", "venue", "show venue")
    assert (msg.chat_id, msg.sender_id, msg.language_hint) == ("-100", "42", "en")
    assert msg.addressed and not msg.is_private


def test_button_without_data_is_ignored() -> None:
    assert incoming_button(tap(None)) is None


# Reply -> Bot API calls


@dataclass
class FakeBot:
    """Records the Bot API calls; `fail` maps a method to the exception it raises once."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: dict[str, Exception] = field(default_factory=dict)

    def __getattr__(self, method: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((method, {"args": args, **kwargs}))
            if method in self.fail:
                raise self.fail.pop(method)
            return SimpleNamespace(message_id=100 + len(self.calls))

        return call

    def methods(self) -> list[str]:
        return [name for name, _ in self.calls]


async def send(reply: Reply, bot: FakeBot | None = None) -> tuple[str | None, FakeBot]:
    bot = bot or FakeBot()
    return await send_reply(cast(Bot, bot), "42", reply), bot


async def test_html_is_sent_in_html_parse_mode_with_the_keyboard() -> None:
    buttons = [[Button("Venue", "show venue"), Button("Date", "show date")]]
    sent, bot = await send(Reply("a & b", html="a &amp; b", buttons=buttons))
    ((method, call),) = bot.calls
    assert (method, call["args"]) == ("send_message", ("42", "a &amp; b"))
    assert call["parse_mode"] == "HTML"
    rows = call["reply_markup"].inline_keyboard
    assert [[(b.text, b.callback_data) for b in row] for row in rows] == [
        [("Venue", "show venue"), ("Date", "show date")]
    ]
    assert sent == "101"


async def test_plain_text_is_sent_without_parse_mode() -> None:
    _, bot = await send(Reply("1 < 2"))
    assert bot.calls[0][1]["parse_mode"] is None


async def test_long_reply_is_split_and_the_keyboard_goes_last() -> None:
    text = "\n".join(["line " + "x" * 90] * 100)
    sent, bot = await send(Reply(text, html=text, buttons=[[Button("More", "faq")]]))
    parts = [call["args"][1] for _, call in bot.calls]
    assert len(parts) == 3 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text
    assert [call["reply_markup"] is not None for _, call in bot.calls] == [False, False, True]
    assert sent == "101"


async def test_venue_pin_follows_the_text_only_with_coordinates() -> None:
    _, bot = await send(Reply("Targi", venue=Venue("Targi Kielce", "Zakładowa 1", 50.9, 20.6)))
    assert bot.methods() == ["send_message", "send_venue"]
    assert bot.calls[1][1]["args"] == ("42", 50.9, 20.6, "Targi Kielce", "Zakładowa 1")
    _, bot = await send(Reply("Targi", venue=Venue("Targi Kielce", "Zakładowa 1")))
    assert bot.methods() == ["send_message"]


async def test_attachment_is_sent_as_a_document() -> None:
    ics = Attachment("irlf.ics", "text/calendar", b"BEGIN:VCALENDAR")
    _, bot = await send(Reply("Kalendarz", attachment=ics))
    assert bot.methods() == ["send_message", "send_document"]
    assert bot.calls[1][1]["args"] == ("42", b"BEGIN:VCALENDAR")
    assert bot.calls[1][1]["filename"] == "irlf.ics"


async def test_edit_changes_the_message_in_place() -> None:
    sent, bot = await send(Reply("new", html="new", edit_of="55"))
    assert bot.methods() == ["edit_message_text"]
    assert (bot.calls[0][1]["message_id"], sent) == (55, "55")


async def test_edit_that_cannot_be_made_sends_a_new_message() -> None:
    bot = FakeBot(fail={"edit_message_text": BadRequest("Message to edit not found")})
    sent, bot = await send(Reply("new", edit_of="55"), bot)
    assert bot.methods() == ["edit_message_text", "send_message"]
    assert sent == "102"


async def test_html_rejected_by_telegram_is_resent_as_plain_text() -> None:
    bot = FakeBot(fail={"send_message": BadRequest("Can't parse entities: unclosed tag")})
    _, bot = await send(Reply("a < b", html="<i>a &lt; b"), bot)
    assert [call["args"][1] for _, call in bot.calls] == ["<i>a &lt; b", "a < b"]
    assert bot.calls[1][1]["parse_mode"] is None


def test_split_text_keeps_short_text_whole() -> None:
    assert split_text("one\ntwo") == ["one\ntwo"]


def test_split_text_cuts_a_long_line_at_spaces() -> None:
    words = " ".join(["słowo"] * 2000)  # 11999 characters, no line break
    parts = split_text(words, limit=4096)
    assert all(len(p) <= 4096 for p in parts)
    assert " ".join(parts).split() == words.split()


def test_keyboard_is_none_without_buttons() -> None:
    assert keyboard([]) is None and keyboard([[]]) is None


# Telegram errors -> bot.transport errors


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), RecipientGone),
        (BadRequest("Bad Request: chat not found"), RecipientGone),
        (BadRequest("Bad Request: message text is empty"), DeliveryError),
        (NetworkError("httpx.ConnectError: connection refused"), TransportDown),
        (TimedOut(), TransportDown),
    ],
)
async def test_telegram_errors_become_delivery_errors(
    error: Exception, expected: type[DeliveryError]
) -> None:
    with pytest.raises(DeliveryError) as raised:
        await send(Reply("hi"), FakeBot(fail={"send_message": error}))
    assert type(raised.value) is expected


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter(int)
async def test_flood_control_becomes_retry_later_with_its_delay() -> None:
    with pytest.raises(RetryLater) as raised:
        await send(Reply("hi"), FakeBot(fail={"send_message": RetryAfter(7)}))
    assert raised.value.retry_after == 7.0


# the transport object


def services_with(**telegram: Any) -> Any:
    return SimpleNamespace(config=Config.model_validate({"telegram": telegram}))


def test_transport_needs_a_token() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        TelegramTransport(services_with())


async def test_send_before_start_is_a_delivery_error() -> None:
    transport = TelegramTransport(services_with(token="123:abcdef"))
    with pytest.raises(DeliveryError, match="not running"):
        await transport.send("42", Reply("hi"))


async def test_rejected_token_stops_the_start_without_quoting_the_token() -> None:
    async def initialize() -> None:
        raise InvalidToken("The token `123:secret-token` was rejected by the server.")

    with pytest.raises(ConfigError) as raised:
        await _retrying("connect", initialize)
    assert "secret-token" not in str(raised.value) and raised.value.__suppress_context__


def test_lone_surrogate_in_a_command_or_a_name_is_replaced_not_fatal() -> None:
    text = "/faq \ud800 @IrlfBot"
    entities = [{"type": "bot_command", "offset": 0, "length": 4}, *mention(text, "@IrlfBot")]
    group = incoming_message(message(text, GROUP, entities=entities), ME)
    assert group.addressed  # the mention after the surrogate is found
    sender = {**ANIA, "first_name": "Ania\udfff"}
    msg = incoming_message(message(text, entities=entities, **{"from": sender}), ME)
    assert (msg.command, msg.text) == ("faq", "/faq \ufffd")
    assert msg.sender_name == "Ania\ufffd Nowak"

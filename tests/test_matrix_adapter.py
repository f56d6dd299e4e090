"""The Matrix adapter's translation, offline: events -> Incoming, Reply -> message content."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest
from nio import (
    Event,
    MatrixRoom,
    RoomCreateEvent,
    RoomMessageImage,
    RoomMessageText,
    RoomSendError,
    RoomSendResponse,
)

from bot.config import Config, MatrixSettings
from bot.messages import Button, ChatRef, Incoming, Reply, Venue
from bot.transport import DeliveryError, RecipientGone, RetryLater
from handlers.matrix import (
    BotIdentity,
    MatrixTransport,
    RoomCreation,
    delivery_error,
    invite_allowed,
    location_content,
    notice_content,
    parse_command,
    to_incoming,
)

BOT = "@irlfbot:localhost"
ALICE = "@alice:localhost"
BOB = "@bob:localhost"


def room_of(*members: tuple[str, str], room_id: str = "!room:localhost") -> MatrixRoom:
    room = MatrixRoom(room_id, BOT)
    room.add_member(BOT, "IRLF Assistant", None)
    for user_id, name in members:
        room.add_member(user_id, name, None)
    return room


def direct_room() -> MatrixRoom:
    return room_of((ALICE, "Alice"))


def group_room() -> MatrixRoom:
    return room_of((ALICE, "Alice"), (BOB, "Bob"))


def me_in(room: MatrixRoom) -> BotIdentity:
    return BotIdentity.in_room(BOT, room, ["IRLF Assistant"])


def text_event(body: str, sender: str = ALICE, **content: Any) -> Event:
    event = RoomMessageText.from_dict({
        "event_id": "$question",
        "sender": sender,
        "origin_server_ts": 1,
        "type": "m.room.message",
        "content": {"msgtype": "m.text", "body": body, **content},
    })  # fmt: skip
    assert isinstance(event, RoomMessageText)
    return event


def incoming(room: MatrixRoom, body: str, *, direct: bool = False, **content: Any):
    return to_incoming(room, text_event(body, **content), me_in(room), direct=direct)


class TestDirectChat:
    def test_every_message_is_addressed_and_private(self) -> None:
        msg = incoming(direct_room(), "gdzie jest forum", direct=True)
        assert msg.transport == "matrix"
        assert msg.chat_id == "!room:localhost"
        assert msg.sender_id == ALICE
        assert msg.sender_name == "Alice"
        assert msg.text == "gdzie jest forum"
        assert msg.is_private and msg.addressed and msg.is_text
        assert msg.message_id == "$question"
        assert msg.command is None

    def test_command_is_split_into_name_and_args(self) -> None:
        msg = incoming(direct_room(), "!lang en", direct=True)
        assert (msg.command, msg.args) == ("lang", "en")

    def test_image_is_not_text(self) -> None:
        event = RoomMessageImage.from_dict({
            "event_id": "$img", "sender": ALICE, "origin_server_ts": 1,
            "type": "m.room.message",
            "content": {"msgtype": "m.image", "body": "cat.png", "url": "mxc://localhost/cat"},
        })  # fmt: skip
        msg = to_incoming(direct_room(), event, me_in(direct_room()), direct=True)
        assert not msg.is_text and msg.addressed and msg.command is None


class TestGroupRoom:
    def test_plain_message_is_not_addressed(self) -> None:
        msg = incoming(group_room(), "gdzie jest forum")
        assert not msg.is_private and not msg.addressed

    def test_mention_by_display_name_is_addressed_and_stripped(self) -> None:
        msg = incoming(group_room(), "IRLF Assistant: gdzie jest forum?")
        assert msg.addressed
        assert msg.text == "gdzie jest forum?"

    def test_mention_by_user_id_is_addressed_and_stripped(self) -> None:
        msg = incoming(group_room(), f"{BOT} where is the forum?")
        assert msg.addressed and msg.text == "where is the forum?"

    def test_mention_in_m_mentions_is_addressed(self) -> None:
        msg = incoming(group_room(), "where is it?", **{"m.mentions": {"user_ids": [BOT]}})
        assert msg.addressed

    def test_pill_link_is_a_mention(self) -> None:
        pill = f'<a href="https://matrix.to/#/{BOT}">Bot</a>: hi'
        msg = incoming(group_room(), "Bot: hi", format="org.matrix.custom.html", formatted_body=pill)
        assert msg.addressed

    def test_someone_else_mentioned_is_not_addressed(self) -> None:
        msg = incoming(group_room(), "Bob: where?", **{"m.mentions": {"user_ids": [BOB]}})
        assert not msg.addressed

    def test_name_inside_another_word_is_not_a_mention(self) -> None:
        room = group_room()
        me = BotIdentity(BOT, ("bot",))
        msg = to_incoming(room, text_event("the robots are here"), me, direct=False)
        assert not msg.addressed

    def test_command_is_addressed(self) -> None:
        msg = incoming(group_room(), "!venue")
        assert msg.addressed and (msg.command, msg.args) == ("venue", "")

    def test_command_after_a_mention(self) -> None:
        msg = incoming(group_room(), "IRLF Assistant: !faq venue")
        assert (msg.command, msg.args) == ("faq", "venue")

    def test_reply_carries_the_replied_event_and_drops_the_fallback(self) -> None:
        relation = {"m.relates_to": {"m.in_reply_to": {"event_id": "$answer"}}}
        msg = incoming(group_room(), "> <@irlfbot:localhost> Kielce\n\nand when?", **relation)
        assert msg.reply_to == "$answer"
        assert msg.text == "and when?"
        assert not msg.addressed  # the adapter checks who wrote $answer before answering

    def test_replied_to_bot_is_addressed(self) -> None:
        room = group_room()
        msg = to_incoming(room, text_event("and when?"), me_in(room), direct=False, replied_to_bot=True)
        assert msg.addressed

    def test_moderator_flag_follows_power_level(self) -> None:
        room = group_room()
        room.power_levels.users[ALICE] = 100
        me = me_in(room)
        assert to_incoming(room, text_event("hi"), me, direct=False).is_room_moderator
        assert not to_incoming(room, text_event("hi", sender=BOB), me, direct=False).is_room_moderator

    @pytest.mark.parametrize("version", ["12", "13", "org.matrix.hydra.11"])
    def test_creators_of_a_version_12_room_moderate_it(self, version: str) -> None:
        room = group_room()  # no power levels for anyone: version 12 leaves creators out
        creation = creation_event(ALICE, version, additional_creators=[BOB])
        def moderates(sender: str) -> bool:
            event = text_event("hi", sender=sender)
            return to_incoming(room, event, me_in(room), direct=False, creation=creation).is_room_moderator

        assert moderates(ALICE) and moderates(BOB)
        assert not moderates("@eve:localhost")

    def test_creator_of_an_older_room_moderates_by_power_level_only(self) -> None:
        room = group_room()
        creation = creation_event(ALICE, "11")
        me = me_in(room)
        assert not to_incoming(room, text_event("hi"), me, direct=False, creation=creation).is_room_moderator
        room.power_levels.users[ALICE] = 100
        assert to_incoming(room, text_event("hi"), me, direct=False, creation=creation).is_room_moderator


def creation_event(sender: str, version: str, **content: Any) -> RoomCreation:
    event = RoomCreateEvent.from_dict({
        "event_id": "$create", "sender": sender, "origin_server_ts": 1, "state_key": "",
        "type": "m.room.create", "content": {"room_version": version, **content},
    })  # fmt: skip
    assert isinstance(event, RoomCreateEvent)
    return RoomCreation.of(event)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!venue", ("venue", "")),
        ("!FAQ  venue ", ("faq", "venue")),
        ("!show address", ("show", "address")),
        ("!", None),
        ("! venue", None),
        ("wow!", None),
        ("!!!", None),
    ],
)
def test_parse_command(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_command(text) == expected


class TestNoticeContent:
    def test_reply_is_a_notice_with_html_and_a_reply_relation(self) -> None:
        reply = Reply(text="Forum: Kielce\nMSPO", html="Forum: <b>Kielce</b>\nMSPO")
        content = notice_content(reply, in_reply_to="$question", mention=ALICE)
        assert content["msgtype"] == "m.notice"
        assert content["body"] == "Forum: Kielce\nMSPO"
        assert content["format"] == "org.matrix.custom.html"
        assert content["formatted_body"] == "Forum: <b>Kielce</b><br>MSPO"
        assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$question"}}
        assert content["m.mentions"] == {"user_ids": [ALICE]}

    def test_plain_text_is_escaped_when_there_is_no_html(self) -> None:
        content = notice_content(Reply(text="a < b & c"))
        assert content["formatted_body"] == "a &lt; b &amp; c"
        assert "m.relates_to" not in content
        assert content["m.mentions"] == {}

    def test_buttons_become_lines_to_type(self) -> None:
        reply = Reply(
            text="Did you mean:",
            html="Did you mean:",
            buttons=[[Button("Venue & travel", "faq venue")], [Button("Date", "show time")]],
        )
        content = notice_content(reply)
        assert content["body"].endswith("\n\n• Venue & travel — !faq venue\n• Date — !show time")
        assert content["formatted_body"].endswith(
            "<br><br>• Venue &amp; travel — <code>!faq venue</code><br>• Date — <code>!show time</code>"
        )

    def test_answer_in_a_thread_stays_in_the_thread(self) -> None:
        content = notice_content(Reply(text="x"), in_reply_to="$q", thread="$root")
        assert content["m.relates_to"] == {
            "rel_type": "m.thread",
            "event_id": "$root",
            "m.in_reply_to": {"event_id": "$q"},
        }

    def test_edit_replaces_the_earlier_message(self) -> None:
        content = notice_content(Reply(text="new", edit_of="$old"))
        assert content["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$old"}
        assert content["m.new_content"]["body"] == "new"
        assert content["body"] == "* new"

    def test_venue_with_coordinates_is_a_location(self) -> None:
        reply = Reply(text="x", venue=Venue("Hall A", "Example Street 1", 50.5, 20.25))
        assert location_content(reply) == {
            "msgtype": "m.location",
            "body": "Hall A, Example Street 1",
            "geo_uri": "geo:50.5,20.25",
        }
        assert location_content(Reply(text="x", venue=Venue("T", "A"))) is None


class TestErrors:
    def test_limit_exceeded_is_retry_later_with_the_servers_delay(self) -> None:
        error = delivery_error(RoomSendError("slow down", "M_LIMIT_EXCEEDED", 2500), "send")
        assert isinstance(error, RetryLater) and error.retry_after == 2.5

    def test_forbidden_means_the_room_is_gone(self) -> None:
        error = delivery_error(RoomSendError("not in room", "M_FORBIDDEN"), "send")
        assert isinstance(error, RecipientGone)

    def test_anything_else_is_a_delivery_error(self) -> None:
        error = delivery_error(RoomSendError("boom", "M_UNKNOWN"), "send")
        assert type(error) is DeliveryError


@pytest.mark.parametrize(
    ("inviter", "room_id", "allowed", "expected"),
    [
        (ALICE, "!r:localhost", ["localhost"], True),
        ("@eve:evil.example", "!r:evil.example", ["localhost"], False),
        ("@eve:evil.example", "!r:evil.example", ["@eve:evil.example"], True),
        ("@eve:evil.example", "!r:evil.example", ["!r:evil.example"], True),
        ("@eve:evil.example", "!r:evil.example", [":evil.example"], True),
        ("@eve:evil.example", "!r:evil.example", ["*"], True),
        ("@eve:localhost.evil", "!r:x", ["localhost"], False),
    ],
)
def test_invite_allowed(inviter: str, room_id: str, allowed: list[str], expected: bool) -> None:
    assert invite_allowed(inviter, room_id, allowed) is expected


class FakeClient:
    """Stands in for nio's room_send: records contents, answers with the given responses."""

    def __init__(self, *responses: Any) -> None:
        self.responses = list(responses)
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.transaction_ids: list[str | None] = []

    async def room_send(
        self, room_id: str, event_type: str, content: dict[str, Any], tx_id: str | None = None,
        **options: Any,
    ) -> Any:
        assert options == {"ignore_unverified_devices": True}  # else nio refuses unverified devices
        self.sent.append((room_id, content))
        self.transaction_ids.append(tx_id)
        return self.responses.pop(0)


def transport_with(client: FakeClient) -> MatrixTransport:
    config = Config(
        matrix=MatrixSettings(homeserver="http://127.0.0.1:1", user_id=BOT, access_token="secret-token")
    )
    services = SimpleNamespace(config=config, storage=None, board=None, assistant=None)
    transport = MatrixTransport(services)  # type: ignore[arg-type]
    transport.client = client  # type: ignore[assignment]
    return transport


class TestSend:
    async def test_answer_replies_to_the_question_in_its_room(self) -> None:
        client = FakeClient(RoomSendResponse("$answer", "!room:localhost"))
        transport = transport_with(client)
        reply = Reply(text="Kielce")
        reply.relate_to(Incoming("matrix", "!room:localhost", ALICE, message_id="$question"))
        event_id = await transport.send("!room:localhost", reply)
        assert event_id == "$answer"
        [(room_id, content)] = client.sent
        assert room_id == "!room:localhost"
        assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$question"}}

    async def test_reply_to_another_room_has_no_relation(self) -> None:
        client = FakeClient(RoomSendResponse("$ticket", "!desk:localhost"))
        transport = transport_with(client)
        reply = Reply(text="press question", chat=ChatRef("matrix", "!desk:localhost"))
        reply.relate_to(Incoming("matrix", "!room:localhost", ALICE, message_id="$question"))
        await transport.send("!desk:localhost", reply)
        assert "m.relates_to" not in client.sent[0][1]

    async def test_a_delivery_tried_again_reuses_its_transaction_id(self) -> None:
        # The homeserver keeps one event per transaction id: a resend after a crash is a no-op.
        client = FakeClient(*(RoomSendResponse("$answer", "!room:localhost") for _ in range(2)))
        transport = transport_with(client)
        for _ in range(2):
            await transport.send("!room:localhost", Reply(text="Kielce", delivery_key="irlf-ab-7"))
        first, again = client.transaction_ids
        assert first == again and first is not None and "irlf-ab-7" in first

    async def test_rate_limit_after_nios_retries_is_retry_later(self) -> None:
        transport = transport_with(FakeClient(RoomSendError("slow", "M_LIMIT_EXCEEDED", 1200)))
        with pytest.raises(RetryLater) as raised:
            await transport.send("!room:localhost", Reply(text="x"))
        assert raised.value.retry_after == 1.2

    async def test_a_failed_pin_is_retried_without_resending_the_notice(self) -> None:
        client = FakeClient(
            RoomSendResponse("$notice", "!room:localhost"),
            RoomSendError("slow", "M_LIMIT_EXCEEDED", 1000),
            RoomSendResponse("$pin", "!room:localhost"),
        )
        transport = transport_with(client)
        reply = Reply(text="Targi Kielce", venue=Venue("Targi Kielce", "Zakładowa 1", 50.9, 20.6))
        with pytest.raises(RetryLater) as raised:
            await transport.send("!room:localhost", reply)
        assert raised.value.parts_sent == 1
        retry = dataclasses.replace(reply, parts_sent=raised.value.parts_sent)
        assert await transport.send("!room:localhost", retry) == "$pin"
        assert [content["msgtype"] for _, content in client.sent] == [
            "m.notice", "m.location", "m.location"
        ]

    def test_nio_gives_up_on_429_after_max_retries(self) -> None:
        config = Config(
            matrix=MatrixSettings(
                homeserver="http://127.0.0.1:1", user_id=BOT, access_token="t", max_retries=3
            )
        )
        services = SimpleNamespace(config=config, storage=None, board=None, assistant=None)
        transport = MatrixTransport(services)  # type: ignore[arg-type]
        assert transport.client.config.max_limit_exceeded == 3

"""The core's message types: what adapters hand in and what they send out.

Adapters (handlers/) translate native updates into `Incoming` and send each `Reply`
with the platform's own calls. Nothing here knows about Telegram or Matrix.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.markup import CLOSE, OPEN, Span, to_html, unmark

Transport = Literal["telegram", "matrix", "console"]

# A lone surrogate (a custom client can send one) cannot be encoded: stored, logged or
# sent, it raises. The markup marks are for the core's own use.
_INVALID = re.compile(f"[\ud800-\udfff{OPEN}{CLOSE}]")


def valid_text(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD and no markup marks."""
    if not _INVALID.search(text):
        return text
    return _INVALID.sub(lambda m: "" if m.group() in (OPEN, CLOSE) else "\ufffd", text)


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A chat on a transport: a Telegram chat id or a Matrix room id."""

    transport: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button; `payload` comes back as `Incoming.payload` when tapped."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Venue:
    """A place to show as a pin where the platform can (coordinates are optional)."""

    title: str
    address: str
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to send, e.g. the event's .ics calendar."""

    filename: str
    mime_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Image:
    """A picture to show inline (a photo on Telegram, m.image on Matrix): PNG bytes."""

    filename: str
    data: bytes
    mime_type: str = "image/png"

    @property
    def size(self) -> tuple[int, int] | None:
        """(width, height) from the PNG header, None for anything else."""
        if self.data[:8] != b"\x89PNG\r\n\x1a\n" or self.data[12:16] != b"IHDR":
            return None
        return int.from_bytes(self.data[16:20], "big"), int.from_bytes(self.data[20:24], "big")


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message from a user, as every adapter reports it.

    `command`/`args` are filled when the user gave a command (`/venue`, `!venue`);
    `payload` when they tapped a button. `is_text` is False for stickers, photos, voice...
    `reply_to` is the platform id of the message this one replies to (media desk answers).
    `update_key` identifies the update on its transport (a Telegram update id, a Matrix event
    id): an update is answered once, however often a restart replays it. `thread` is the
    thread the message was written in (Matrix), where the answer goes too.
    `is_room_moderator`: the sender moderates this room or group (Matrix: power level 50 or
    a creator of a version 12 room; Telegram: the group's owner or an administrator).
    """

    transport: str
    chat_id: str
    sender_id: str
    text: str = ""
    sender_name: str = ""
    is_private: bool = True
    addressed: bool = True
    language_hint: str | None = None
    command: str | None = None
    args: str = ""
    payload: str | None = None
    is_text: bool = True
    message_id: str | None = None
    reply_to: str | None = None
    is_room_moderator: bool = False
    update_key: str | None = None
    thread: str | None = None

    def __post_init__(self) -> None:
        # The boundary: nothing a user sent may break storing, logging or answering it.
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str) and _INVALID.search(value):
                object.__setattr__(self, f.name, valid_text(value))

    @property
    def chat(self) -> ChatRef:
        return ChatRef(self.transport, self.chat_id)

    @property
    def may_change_chat_settings(self) -> bool:
        """In a private chat anyone decides for themselves; a room's settings need a moderator."""
        return self.is_private or self.is_room_moderator


@dataclass(slots=True)
class Reply:
    """One message to send.

    `text` is plain; `html` is the same content for platforms that render HTML (every
    piece of user text in it is escaped). Text marked with `bot.markup.user_text` is
    unmarked here: `user_spans` says where it is, so no renderer ever makes it a link.
    `chat` None means "the chat the question came from". `tag` lets the core learn the
    platform id of the sent message (media desk tickets, broadcast progress).
    `in_reply_to`, `mention` and `thread` relate an answer to its question where the
    platform shows that (Matrix). `then` holds replies (as data) to queue once this one was
    delivered ("sent") or could not be ("failed").

    A reply can take several platform messages (a long text in parts, then a pin, a file).
    `parts_sent` is how many of them went out before a failure (`DeliveryError.parts_sent`);
    a retry with it set sends only the rest, so no one gets a part twice.
    `delivery_key` names one outbox delivery however often it is tried: a platform
    that deduplicates (Matrix transaction ids) makes a retry after a crash a no-op.
    """

    text: str
    html: str | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    venue: Venue | None = None
    attachment: Attachment | None = None
    image: Image | None = None
    chat: ChatRef | None = None
    tag: str | None = None
    edit_of: str | None = None
    in_reply_to: str | None = None
    mention: str | None = None
    thread: str | None = None
    then: dict[str, list[dict[str, Any]]] | None = None
    user_spans: tuple[Span, ...] = ()
    parts_sent: int = 0
    delivery_key: str | None = None

    def __post_init__(self) -> None:
        text, spans = unmark(self.text)
        if text != self.text:
            self.text, self.user_spans = text, spans

    @classmethod
    def of(cls, text: str, buttons: list[list[Button]] | None = None, **fields: object) -> Reply:
        """A reply with its HTML form made from the plain text (escaped; user text never a link)."""
        reply = cls(text=text, buttons=buttons or [], **fields)  # type: ignore[arg-type]
        reply.html = to_html(reply.text, reply.user_spans)
        return reply

    def relate_to(self, origin: Incoming) -> None:
        """An answer in the question's own chat replies to it, in its thread."""
        if self.chat in (None, origin.chat):
            self.in_reply_to = self.in_reply_to or origin.message_id
            self.mention = self.mention or origin.sender_id
            self.thread = self.thread or origin.thread

    def to_dict(self) -> dict[str, Any]:
        """The reply as JSON-ready data (the outbox stores it)."""
        data = dataclasses.asdict(self)
        for name in ("attachment", "image"):
            if data[name] is not None:
                data[name]["data"] = base64.b64encode(data[name]["data"]).decode()
        if self.chat is not None:
            data["chat"] = [self.chat.transport, self.chat.chat_id]
        return {k: v for k, v in data.items() if v is not None and v not in ([], (), 0)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        fields = dict(data)
        fields["buttons"] = [[Button(**b) for b in row] for row in fields.get("buttons", [])]
        if fields.get("venue"):
            fields["venue"] = Venue(**fields["venue"])
        for name, kind in (("attachment", Attachment), ("image", Image)):
            if fields.get(name):
                file = dict(fields[name])
                file["data"] = base64.b64decode(file["data"])
                fields[name] = kind(**file)
        if fields.get("chat"):
            fields["chat"] = ChatRef(*fields["chat"])
        fields["user_spans"] = tuple((start, end) for start, end in fields.get("user_spans", ()))
        return cls(**fields)

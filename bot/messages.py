"""The core's message types: what adapters hand in and what they send out.

Adapters (handlers/) translate native updates into `Incoming` and send each `Reply`
with the platform's own calls. Nothing here knows about Telegram or Matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.markup import to_html

Transport = Literal["telegram", "matrix", "console"]


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
class Incoming:
    """One message from a user, as every adapter reports it.

    `command`/`args` are filled when the user gave a command (`/venue`, `!venue`);
    `payload` when they tapped a button. `is_text` is False for stickers, photos, voice...
    `reply_to` is the platform id of the message this one replies to (media desk answers).
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
    piece of user text in it is escaped). `chat` None means "the chat the question came
    from". `tag` lets the core learn the platform id of the sent message (media desk
    tickets) through `Sent`.
    """

    text: str
    html: str | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    venue: Venue | None = None
    attachment: Attachment | None = None
    chat: ChatRef | None = None
    tag: str | None = None
    edit_of: str | None = None

    @classmethod
    def of(cls, text: str, buttons: list[list[Button]] | None = None, **fields: object) -> Reply:
        """A reply with its HTML form made from the plain text (everything escaped)."""
        return cls(text=text, html=to_html(text), buttons=buttons or [], **fields)  # type: ignore[arg-type]

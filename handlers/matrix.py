"""Matrix: matrix-nio's AsyncClient in, the core's `Incoming`/`Reply` out.

How the bot follows its rooms:
- One sync loop. nio runs the callbacks below (one per event type) while it parses a
  sync response; they only translate and collect. The loop then answers what was
  collected, and only after that stores the sync token (`next_batch`) in the core's
  storage: a restart does not miss what arrived while the bot was down. Each event id is
  recorded as answered in the transaction that queues its replies, so a crash in the
  middle of a batch replays the batch and answers only what was not answered. The very
  first start skips history: it syncs once and handles only what comes after.
- Invites are joined when the inviter (their user id or homeserver) or the room is
  allowed (`allowed_inviters`; default: the bot's own homeserver), else rejected. In a
  room just joined, the messages before our invite are history and are not answered.
- A direct chat (the Matrix meaning: `m.direct`, an `is_direct` invite; see
  matrix_direct.py) has every message addressed. Elsewhere the bot answers a mention
  (display name, user id, `m.mentions`), a reply to one of its messages, or a
  `!command`. Notices and the bot's own events are never answered.
- A room's moderators (power level 50 or more; in room version 12 and later also its
  creators, who are not listed in the power levels) may change its settings.
- Replies are `m.notice` with an HTML `formatted_body` and a reply relation to the
  question; buttons become lines "• Label — !payload" the user can type.
- `M_LIMIT_EXCEEDED`: nio waits the server's `retry_after_ms`, at most `max_retries`
  times, then `send` raises `RetryLater`. The homeserver gone: the loop backs off and
  resumes.
- End-to-end encryption (on by default; matrix_crypto.py): nio decrypts while it reads
  a sync, so encrypted messages reach the same callbacks as plain ones; replies and files
  are encrypted in encrypted rooms. What cannot be decrypted is held and retried after
  later syncs, then its sender is told once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import io
import logging
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    InviteMemberEvent,
    JoinError,
    LocalProtocolError,
    MatrixInvitedRoom,
    MatrixRoom,
    MegolmEvent,
    ProfileGetDisplayNameResponse,
    RedactionEvent,
    RoomCreateEvent,
    RoomGetEventResponse,
    RoomLeaveError,
    RoomMemberEvent,
    RoomMessage,
    RoomMessageEmote,
    RoomMessageMedia,
    RoomMessageText,
    RoomMessageUnknown,
    RoomSendResponse,
    StickerEvent,
    SyncError,
    SyncResponse,
    UnknownAccountDataEvent,
    UploadResponse,
    WhoamiError,
)
from nio.events.room_events import Event

from bot.config import ConfigError
from bot.messages import ChatRef, Incoming, Reply
from bot.transport import DeliveryError, RecipientGone, RetryLater, TransportDown
from handlers.matrix_crypto import GIVE_UP, Encryption, call_api, client_options
from handlers.matrix_direct import DIRECT_TYPE, DirectChats

if TYPE_CHECKING:
    from bot.service import Services

log = logging.getLogger(__name__)

TRANSPORT = "matrix"
SINCE_KEY = "matrix.next_batch"
# Set once chats stored under the old "a room of two is a direct chat" rule were sorted out.
KINDS_MIGRATED_KEY = "matrix.direct_chats_migrated"
HTML_FORMAT = "org.matrix.custom.html"
MODERATOR_LEVEL = 50
# Room versions whose creators outrank every power level (MSC4289: version 12 and later).
PRIVILEGED_CREATORS_SINCE = 12
PRIVILEGED_CREATOR_VERSIONS = frozenset({"org.matrix.hydra.11"})  # its unstable name

SYNC_TIMEOUT_MS = 30_000
# The first ever sync only learns the rooms (history is not answered): one event is plenty.
FIRST_SYNC_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 1}}}
# Later syncs carry what arrived since the last one; a wide window misses nothing in
# practice after a short downtime (a wider gap is logged).
SYNC_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 100}}}
# Backoff while the homeserver is unreachable: 0.5 s, 1 s, 2 s, ... up to MAX_BACKOFF.
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 15.0
STOP_GRACE = 10.0

# The events answered as messages (the rest of a timeline is state, reactions, calls...).
MESSAGE_TYPES = (RoomMessageText, RoomMessageEmote, RoomMessageMedia, RoomMessageUnknown, StickerEvent)

COMMAND = re.compile(r"!([A-Za-z][\w-]*)(?:\s+(.*))?", re.DOTALL)
REPLY_FALLBACK = re.compile(r"\A(?:>[^\n]*\n)+\n?")



# --- translation: Matrix event -> Incoming -------------------------------------------


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is in a room, for telling whether a message is addressed to it."""

    user_id: str
    names: tuple[str, ...]

    @classmethod
    def in_room(cls, user_id: str, room: MatrixRoom, extra_names: Iterable[str] = ()) -> BotIdentity:
        names = {user_id, *extra_names}
        room_name = room.user_name(user_id)
        if room_name:
            names.add(room_name)
        # Longest first, so "IRLF Assistant" is stripped before a shorter name inside it.
        return cls(user_id, tuple(sorted((n for n in names if n), key=len, reverse=True)))


def content_of(event: Event) -> dict[str, Any]:
    content = event.source.get("content")
    return content if isinstance(content, dict) else {}


def _relation(content: dict[str, Any]) -> dict[str, Any]:
    relation = content.get("m.relates_to")
    return relation if isinstance(relation, dict) else {}


def replied_event_id(content: dict[str, Any]) -> str | None:
    """The event id this message replies to (`m.relates_to.m.in_reply_to`), if any."""
    relation = _relation(content)
    if relation.get("is_falling_back"):  # a plain message in a thread, not a reply
        return None
    in_reply_to = relation.get("m.in_reply_to")
    if isinstance(in_reply_to, dict) and isinstance(in_reply_to.get("event_id"), str):
        return str(in_reply_to["event_id"])
    return None


def thread_root(content: dict[str, Any]) -> str | None:
    """The thread a message was written in, if any (the answer goes there too)."""
    relation = _relation(content)
    event_id = relation.get("event_id")
    if relation.get("rel_type") == "m.thread" and isinstance(event_id, str):
        return event_id
    return None


def is_edit(content: dict[str, Any]) -> bool:
    """An edit of an earlier message (already answered as it was first written)."""
    return _relation(content).get("rel_type") == "m.replace"


def strip_reply_fallback(body: str) -> str:
    """Drop the "> <@user> quoted text" lines older clients put before a reply."""
    return REPLY_FALLBACK.sub("", body, count=1)


def mentions_in(content: dict[str, Any]) -> list[str]:
    mentions = content.get("m.mentions")
    if not isinstance(mentions, dict):
        return []
    user_ids = mentions.get("user_ids")
    return [u for u in user_ids if isinstance(u, str)] if isinstance(user_ids, list) else []


def _name_pattern(name: str) -> re.Pattern[str]:
    # The name as a whole word (not inside another), with the ":" or "," clients add.
    return re.compile(rf"(?<![\w@]){re.escape(name)}(?![\w])\s*[:,]?", re.IGNORECASE)


def is_mentioned(content: dict[str, Any], text: str, me: BotIdentity) -> bool:
    """Mentioned by `m.mentions`, by a pill link, or by name or user id in the text."""
    if me.user_id in mentions_in(content):
        return True
    formatted = content.get("formatted_body")
    if isinstance(formatted, str) and (
        f"matrix.to/#/{me.user_id}" in formatted
        or f"matrix.to/#/{me.user_id.replace('@', '%40')}" in formatted
    ):
        return True
    return any(_name_pattern(name).search(text) for name in me.names)


def strip_mentions(text: str, me: BotIdentity) -> str:
    """The text without the bot's names ("IRLF Assistant: gdzie?" -> "gdzie?")."""
    for name in me.names:
        text = _name_pattern(name).sub(" ", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def parse_command(text: str) -> tuple[str, str] | None:
    """`!venue x` -> ("venue", "x"); anything else -> None."""
    found = COMMAND.fullmatch(text.strip())
    if not found:
        return None
    return found.group(1).lower(), (found.group(2) or "").strip()


def message_text(event: Event) -> tuple[str, bool]:
    """The text of a message event and whether it is text at all (stickers, images: no)."""
    if isinstance(event, RoomMessageText | RoomMessageEmote):
        return event.body or "", True
    body = content_of(event).get("body")
    return (body if isinstance(body, str) else ""), False


@dataclass(frozen=True, slots=True)
class RoomCreation:
    """Who created a room, and its version (from its `m.room.create` event)."""

    creators: frozenset[str]
    version: str

    @classmethod
    def of(cls, event: RoomCreateEvent) -> RoomCreation:
        extra = content_of(event).get("additional_creators")
        others = [u for u in extra if isinstance(u, str)] if isinstance(extra, list) else []
        return cls(frozenset([event.sender, *others]), event.room_version)

    @property
    def creators_privileged(self) -> bool:
        """Version 12 on, the creators outrank every power level and are not listed there."""
        version = self.version
        if version.isdigit():
            return int(version) >= PRIVILEGED_CREATORS_SINCE
        return version in PRIVILEGED_CREATOR_VERSIONS


def is_moderator(room: MatrixRoom, user_id: str, creation: RoomCreation | None) -> bool:
    """Power level 50 or more, or a creator of a room whose creators are privileged."""
    if creation is not None and creation.creators_privileged and user_id in creation.creators:
        return True
    return room.power_levels.get_user_level(user_id) >= MODERATOR_LEVEL


def to_incoming(
    room: MatrixRoom,
    event: Event,
    me: BotIdentity,
    *,
    direct: bool,
    replied_to_bot: bool = False,
    creation: RoomCreation | None = None,
) -> Incoming:
    """Translate one room message into the core's `Incoming` (`direct`: a direct chat;
    `creation`: the room's creators)."""
    content = content_of(event)
    reply_to = replied_event_id(content)
    text, is_text = message_text(event)
    if reply_to:
        text = strip_reply_fallback(text)
    private = direct
    mentioned = is_mentioned(content, text, me)
    text = strip_mentions(text, me)
    command = parse_command(text) if is_text else None
    sender = event.sender
    return Incoming(
        transport=TRANSPORT,
        chat_id=room.room_id,
        sender_id=sender,
        text=text,
        sender_name=room.user_name(sender) or sender,
        is_private=private,
        addressed=private or mentioned or replied_to_bot or command is not None,
        command=command[0] if command else None,
        args=command[1] if command else "",
        is_text=is_text,
        message_id=event.event_id,
        reply_to=reply_to,
        update_key=event.event_id,
        thread=thread_root(content),
        is_room_moderator=is_moderator(room, sender, creation),
    )


# --- translation: Reply -> Matrix content ----------------------------------------------


def button_lines(reply: Reply) -> list[tuple[str, str]]:
    """Buttons as typeable lines: (plain, HTML) for each "• Label — !payload"."""
    lines = []
    for row in reply.buttons:
        for button in row:
            plain = f"• {button.label} — !{button.payload}"
            markup = f"• {html.escape(button.label)} — <code>!{html.escape(button.payload)}</code>"
            lines.append((plain, markup))
    return lines


def notice_content(
    reply: Reply,
    *,
    in_reply_to: str | None = None,
    mention: str | None = None,
    thread: str | None = None,
) -> dict[str, Any]:
    """An `m.notice` with the HTML form, the buttons as lines and the reply relation."""
    body = reply.text
    formatted = reply.html if reply.html is not None else html.escape(reply.text, quote=False)
    formatted = formatted.replace("\n", "<br>")  # Matrix clients collapse newlines in HTML
    lines = button_lines(reply)
    if lines:
        body += "\n\n" + "\n".join(plain for plain, _ in lines)
        formatted += "<br><br>" + "<br>".join(markup for _, markup in lines)
    content: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": body,
        "format": HTML_FORMAT,
        "formatted_body": formatted,
        # Explicit, so no client pings anyone by a name that happens to be in the text.
        "m.mentions": {"user_ids": [mention]} if mention else {},
    }
    if reply.edit_of:
        return {
            **content,
            "body": f"* {body}",
            "formatted_body": f"* {formatted}",
            "m.new_content": content,
            "m.relates_to": {"rel_type": "m.replace", "event_id": reply.edit_of},
        }
    if thread:
        content["m.relates_to"] = {"rel_type": "m.thread", "event_id": thread}
        if in_reply_to:
            content["m.relates_to"]["m.in_reply_to"] = {"event_id": in_reply_to}
    elif in_reply_to:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": in_reply_to}}
    return content


def location_content(reply: Reply) -> dict[str, Any] | None:
    """An `m.location` pin for the reply's venue, when it has coordinates."""
    venue = reply.venue
    if venue is None or venue.latitude is None or venue.longitude is None:
        return None
    return {
        "msgtype": "m.location",
        "body": f"{venue.title}, {venue.address}",
        "geo_uri": f"geo:{venue.latitude},{venue.longitude}",
    }


def delivery_error(response: ErrorResponse, what: str) -> DeliveryError:
    """A Matrix error response as the core's delivery error."""
    code = response.status_code
    status = getattr(getattr(response, "transport_response", None), "status", None)
    if isinstance(status, int) and status >= 500:
        return TransportDown(f"{what}: HTTP {status}")
    if code == "M_LIMIT_EXCEEDED":
        return RetryLater((response.retry_after_ms or 5000) / 1000, f"{what}: {response}")
    if code == "M_FORBIDDEN":
        return RecipientGone(f"{what}: {response}")
    return DeliveryError(f"{what}: {response}")


def invite_allowed(inviter: str, room_id: str, allowed: Iterable[str]) -> bool:
    """Allowed entries: "*", a user id, a room id, or a homeserver name ("example.org")."""
    server = inviter.partition(":")[2]
    for entry in allowed:
        entry = entry.strip()
        if entry in ("*", inviter, room_id) or entry.lstrip(":") == server:
            return True
    return False


# --- the transport -----------------------------------------------------------------------


class SyncFailed(Exception):
    """The homeserver answered a sync with an error."""


class MatrixTransport:
    """The bot on one Matrix account: follows its rooms, answers through the core."""

    name = TRANSPORT
    edits_messages = True  # broadcast progress is one notice, edited (m.replace)

    def __init__(
        self, services: Services, *, max_backoff: float = MAX_BACKOFF, undecryptable_wait: float = GIVE_UP
    ) -> None:
        self.services = services
        self.settings = services.config.matrix
        if not (self.settings.homeserver and self.settings.user_id):
            raise ValueError("Matrix needs MATRIX_HOMESERVER and MATRIX_USER_ID")
        self.user_id: str = self.settings.user_id
        self.max_backoff = max_backoff
        store_path, encryption = client_options(services.config)
        self.client = AsyncClient(
            self.settings.homeserver,
            self.user_id,
            device_id=self.settings.device_id,
            store_path=store_path,
            config=AsyncClientConfig(
                max_limit_exceeded=self.settings.max_retries,
                max_timeouts=2,
                backoff_factor=0.25,
                store_sync_tokens=False,
                **encryption,
            ),
        )
        self.crypto = (
            Encryption(self.client, services.config, give_up=undecryptable_wait)
            if self.settings.encryption
            else None
        )
        self.direct = DirectChats()
        self._direct_invites: set[str] = set()  # invites marked is_direct, in this sync
        self._kinds_changed: set[str] = set()  # rooms that became or stopped being direct chats
        self._since: str | None = None
        self._messages: list[tuple[MatrixRoom, Event]] = []
        self._invites: dict[str, str] = {}  # room id -> inviter
        self._joined_now: set[str] = set()  # joined by us; their next timeline has history
        self._creations: dict[str, RoomCreation] = {}  # room id -> creators, from room state
        self._sent: OrderedDict[str, bool] = OrderedDict()  # event ids we sent (recent)
        self._redacted: OrderedDict[str, bool] = OrderedDict()  # deleted events (recent)
        self._task: asyncio.Task[None] | None = None
        self._answering_sync = False  # answering what one sync brought: finish it on stop
        self._stopping = False
        self._logged_in = False
        self._sync_failing = False
        self.ready = asyncio.Event()  # set after the first successful sync

    # lifecycle

    async def start(self) -> None:
        """Log in, attach to the switchboard and start following the rooms.

        Refused credentials raise `ConfigError`; an unreachable homeserver does not: the
        sync loop logs in once it answers.
        """
        try:
            await self._log_in()
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("matrix: homeserver unreachable (%s); will keep trying", _describe(exc))
        except BaseException:  # refused credentials, or cancelled: leave no session open
            await self.client.close()
            raise
        self._add_callbacks()
        self._since = await self.services.storage.get_state(SINCE_KEY)
        self.services.board.attach(self)
        self._stopping = False
        self._task = asyncio.create_task(self._follow_rooms(), name="matrix-sync")

    async def stop_receiving(self) -> None:
        """Stop syncing; answer what the last sync brought and save the sync position."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            if not self._answering_sync:
                task.cancel()
            try:
                await asyncio.wait_for(task, STOP_GRACE)
            except (asyncio.CancelledError, TimeoutError):
                pass

    async def stop(self) -> None:
        """Stop receiving, detach and close the connection."""
        await self.stop_receiving()
        self.services.board.detach(self)
        await self.client.close()

    @property
    def connected(self) -> bool:
        """Logged in, and the last sync succeeded."""
        return self._logged_in and self.ready.is_set() and not self._sync_failing

    async def _log_in(self) -> None:
        """Use the access token (checked with whoami), else log in by password."""
        settings = self.settings
        if settings.access_token and settings.access_token.get_secret_value():
            token = settings.access_token.get_secret_value()
            self.client.access_token = token
            whoami = await self.client.whoami()
            if isinstance(whoami, WhoamiError):
                raise ConfigError(f"MATRIX_ACCESS_TOKEN refused by the homeserver: {whoami}")
            if whoami.user_id != self.user_id:
                raise ConfigError(f"MATRIX_ACCESS_TOKEN belongs to {whoami.user_id}, not {self.user_id}")
            self.client.device_id = whoami.device_id or settings.device_id
            if self.crypto:
                await self.crypto.restore(token, self.client.device_id)
        elif settings.password and settings.password.get_secret_value():
            # The fixed device id keeps one device however often the bot restarts.
            password = settings.password.get_secret_value()
            if self.crypto:
                await self.crypto.log_in(password, settings.display_name, settings.device_id)
            else:
                response = await self.client.login(password, device_name=settings.display_name)
                if isinstance(response, ErrorResponse):
                    raise ConfigError(f"Matrix login as {self.user_id} failed: {response}")
        else:
            raise ConfigError("Matrix needs MATRIX_ACCESS_TOKEN or MATRIX_PASSWORD")
        if self.crypto:
            await self.crypto.prepare()
        self._logged_in = True
        log.info("matrix: logged in as %s (device %s)", self.user_id, self.client.device_id)
        await self._show_display_name()

    async def _show_display_name(self) -> None:
        """Use the configured display name, so people see (and mention) the bot by it."""
        wanted = self.settings.display_name
        current = await self.client.get_displayname()
        if isinstance(current, ProfileGetDisplayNameResponse) and current.displayname != wanted:
            changed = await self.client.set_displayname(wanted)
            if isinstance(changed, ErrorResponse):
                log.warning("matrix: could not set the display name: %s", changed)

    def _add_callbacks(self) -> None:
        self.client.event_callbacks.clear()
        self.client.add_event_callback(self.on_invite, InviteMemberEvent)
        self.client.add_event_callback(self.on_membership, RoomMemberEvent)
        self.client.add_event_callback(self.on_text, (RoomMessageText, RoomMessageEmote))
        self.client.add_event_callback(self.on_non_text, (RoomMessageMedia, RoomMessageUnknown, StickerEvent))
        self.client.add_event_callback(self.on_encrypted, MegolmEvent)
        self.client.add_event_callback(self.on_redaction, RedactionEvent)
        self.client.global_account_data_callbacks.clear()
        self.client.add_global_account_data_callback(self.on_account_data, UnknownAccountDataEvent)

    # callbacks: nio calls these while it reads a sync response; they only collect

    async def on_invite(self, room: MatrixInvitedRoom, event: InviteMemberEvent) -> None:
        """Note an invite of the bot, to join or reject after the sync."""
        if event.state_key == self.user_id and event.membership == "invite":
            self._invites[room.room_id] = event.sender
            if event.content.get("is_direct") is True:
                self._direct_invites.add(room.room_id)

    async def on_membership(self, room: MatrixRoom, event: RoomMemberEvent) -> None:
        """In a room we just joined, what came before our invite is history: forget it."""
        if (
            room.room_id in self._joined_now
            and event.state_key == self.user_id
            and event.membership == "invite"
        ):
            self._messages = [(r, e) for r, e in self._messages if r.room_id != room.room_id]

    async def on_text(self, room: MatrixRoom, event: RoomMessageText | RoomMessageEmote) -> None:
        """Note a text message to answer after the sync."""
        self._collect(room, event)

    async def on_non_text(self, room: MatrixRoom, event: RoomMessage | StickerEvent) -> None:
        """Note an image, file, sticker or other non-text message (the core decides)."""
        self._collect(room, event)

    async def on_encrypted(self, room: MatrixRoom, event: MegolmEvent) -> None:
        """Note a message nio could not decrypt (yet); its key may still come."""
        if self.crypto:
            self._collect(room, event)

    async def on_account_data(self, event: UnknownAccountDataEvent) -> None:
        """Follow the bot's `m.direct`: which rooms are direct chats."""
        if event.type == DIRECT_TYPE and isinstance(event.content, dict):
            self._kinds_changed |= self.direct.update(event.content)

    async def on_redaction(self, room: MatrixRoom, event: RedactionEvent) -> None:
        """Someone deleted a message: an edit of it would go unseen, so `send` sends anew."""
        self._redacted[event.redacts] = True
        while len(self._redacted) > 1000:
            self._redacted.popitem(last=False)

    def _collect(self, room: MatrixRoom, event: Event) -> None:
        if event.sender != self.user_id:
            self._messages.append((room, event))

    # the sync loop

    async def _follow_rooms(self) -> None:
        failures = 0
        first = True
        while not self._stopping:
            try:
                if not self._logged_in:
                    await self._log_in()
                await self._sync_once(full_state=first)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the server gone, a timeout, an error answer
                failures += 1
                self._sync_failing = True
                delay = min(self.max_backoff, FIRST_BACKOFF * 2 ** (failures - 1))
                log.warning("matrix: sync failed (%s); retrying in %.1fs", _describe(exc), delay)
                await asyncio.sleep(delay)
                continue
            if failures:
                log.info("matrix: homeserver reachable again")
            failures = 0
            self._sync_failing = False
            first = False
            self.ready.set()

    async def _sync_once(self, *, full_state: bool) -> None:
        """One sync: wait for news, answer it, then remember how far we got."""
        fresh_start = self._since is None
        self._messages, self._invites, self._direct_invites = [], {}, set()
        response = await self.client.sync(
            timeout=0 if full_state else self._sync_timeout(),
            sync_filter=FIRST_SYNC_FILTER if fresh_start else SYNC_FILTER,
            since=self._since,
            full_state=full_state or None,
        )
        if isinstance(response, SyncError):
            raise SyncFailed(str(response))
        messages = [] if fresh_start else self._messages
        self._warn_about_gaps(response)
        self._note_creations(response)
        self._joined_now.clear()
        self._answering_sync = True
        try:
            messages, unreadable = await self._decrypt_later(messages)
            for room_id, inviter in self._invites.items():
                await self._answer_invite(room_id, inviter)
            await self._update_chat_kinds(full_state)
            for room, event in messages:
                await self._answer(room, event)
            for room, event in unreadable:
                await self._say_unreadable(room, event)
            self._since = response.next_batch
            await self.services.storage.set_state(SINCE_KEY, response.next_batch)
        finally:
            self._answering_sync = False

    def _warn_about_gaps(self, response: SyncResponse) -> None:
        for room_id, info in response.rooms.join.items():
            if info.timeline.limited and self._since and room_id not in self._joined_now:
                log.warning("matrix: more messages arrived in %s than one sync holds", room_id)

    def _note_creations(self, response: SyncResponse) -> None:
        """Remember each room's creators: the first sync of a run and a join carry full state."""
        for room_id, info in response.rooms.join.items():
            for event in (*info.state, *info.timeline.events):
                if isinstance(event, RoomCreateEvent):
                    self._creations[room_id] = RoomCreation.of(event)

    async def _answer_invite(self, room_id: str, inviter: str) -> None:
        allowed = self.settings.allowed_inviters or [self.settings.server_name]
        if invite_allowed(inviter, room_id, allowed):
            joined = await self.client.join(room_id)
            if isinstance(joined, JoinError):
                log.warning("matrix: could not join %s: %s", room_id, joined)
            else:
                self._joined_now.add(room_id)
                log.info("matrix: joined %s (invited by %s)", room_id, inviter)
                if room_id in self._direct_invites:
                    await self._mark_direct(inviter, room_id)
        else:
            rejected = await self.client.room_leave(room_id)
            if isinstance(rejected, RoomLeaveError):
                log.warning("matrix: could not reject the invite to %s: %s", room_id, rejected)
            else:
                log.info("matrix: rejected an invite to %s from %s", room_id, inviter)

    async def _answer(self, room: MatrixRoom, event: Event) -> None:
        """Hand one message to the core; a failure is logged and the loop goes on."""
        content = content_of(event)
        if is_edit(content):
            return
        try:
            me = BotIdentity.in_room(self.user_id, room, [self.settings.display_name])
            incoming = to_incoming(
                room, event, me, direct=room.room_id in self.direct,
                creation=self._creations.get(room.room_id),
            )
            if not incoming.addressed and await self._is_reply_to_bot(room, incoming.reply_to):
                incoming = dataclasses.replace(incoming, addressed=True)
            await self.services.board.dispatch(incoming)
        except Exception:
            log.exception("matrix: could not answer %s in %s", event.event_id, room.room_id)

    async def _is_reply_to_bot(self, room: MatrixRoom, event_id: str | None) -> bool:
        if event_id is None:
            return False
        if event_id in self._sent:
            return True
        try:
            response = await self.client.room_get_event(room.room_id, event_id)
        except (aiohttp.ClientError, TimeoutError):
            return False
        return isinstance(response, RoomGetEventResponse) and response.event.sender == self.user_id

    # encryption and direct chats (matrix_crypto.py, matrix_direct.py)

    def _sync_timeout(self) -> int:
        return self.crypto.sync_timeout(SYNC_TIMEOUT_MS) if self.crypto else SYNC_TIMEOUT_MS

    async def _decrypt_later(
        self, messages: list[tuple[MatrixRoom, Event]]
    ) -> tuple[list[tuple[MatrixRoom, Event]], list[tuple[MatrixRoom, MegolmEvent]]]:
        """Key upkeep; hold what could not be decrypted; add what became readable.
        Also returns the messages given up on."""
        if self.crypto is None:
            return messages, []
        await self.crypto.after_sync()
        readable: list[tuple[MatrixRoom, Event]] = []
        for room, event in messages:
            if isinstance(event, MegolmEvent):
                self.crypto.hold(room, event)
            else:
                readable.append((room, event))
        decrypted, unreadable = self.crypto.retry()
        readable += [
            (r, e) for r, e in decrypted if isinstance(e, MESSAGE_TYPES) and e.sender != self.user_id
        ]
        return readable, unreadable

    async def _say_unreadable(self, room: MatrixRoom, event: MegolmEvent) -> None:
        """Ask the sender of a message we could not decrypt to send it again (once, queued
        in the outbox like any answer)."""
        log.info("matrix: could not decrypt %s from %s in %s", event.event_id, event.sender, room.room_id)
        storage, outbox = self.services.storage, self.services.outbox
        try:
            user = await storage.get_user(ChatRef(TRANSPORT, room.room_id))
            langs = [user.language] if user and user.language in ("pl", "en") else ["pl", "en"]
            phrases = self.services.assistant.phrases
            reply = Reply.of("\n\n".join(phrases.text(lang, "unreadable_message") for lang in langs))
            origin = Incoming(
                TRANSPORT, room.room_id, event.sender, is_private=room.room_id in self.direct,
                is_text=False, message_id=event.event_id, update_key=event.event_id,
            )  # fmt: skip
            async with storage.transaction():
                if await storage.receive(TRANSPORT, event.event_id, self.services.clock.now()):
                    await outbox.queue_replies([reply], origin)
            outbox.wake(TRANSPORT)
        except Exception:
            log.exception("matrix: could not ask %s to send %s again", event.sender, event.event_id)

    async def _mark_direct(self, user_id: str, room_id: str) -> None:
        """Record a direct chat in the bot's `m.direct`, as clients do for an is_direct invite."""
        content = self.direct.add(user_id, room_id)
        if content is None:
            return
        self._kinds_changed.add(room_id)
        path = f"/user/{quote(self.user_id)}/account_data/{DIRECT_TYPE}"
        try:
            status, answer = await call_api(self.client, "PUT", path, content)
        except (aiohttp.ClientError, TimeoutError) as exc:
            status, answer = 0, {"error": _describe(exc)}
        if status != 200:
            log.warning("matrix: could not record %s as a direct chat: %s %s", room_id, status, answer)

    async def _update_chat_kinds(self, first: bool) -> None:
        """Store a chat's kind (direct or not) when it changed. Once, on the first start with
        this rule, chats stored as direct by head count are kept direct if still two people."""
        migrate = first and await self.services.storage.get_state(KINDS_MIGRATED_KEY) is None
        if not (migrate or self._kinds_changed):
            return
        changed, self._kinds_changed = self._kinds_changed, set()
        for user in await self.services.storage.users([TRANSPORT]):
            room = self.client.rooms.get(user.chat_id)
            if migrate and user.is_private and user.chat_id not in self.direct and room is not None:
                others = [u for u in room.users if u != self.user_id]
                if len(others) == 1:
                    await self._mark_direct(others[0], user.chat_id)
            direct = user.chat_id in self.direct
            if user.is_private != direct and (migrate or user.chat_id in changed):
                await self.services.storage.set_private(user.chat, direct)
                log.info("matrix: %s is %s", user.chat_id, "a direct chat" if direct else "not a direct chat")
        self._kinds_changed.clear()
        if migrate:
            await self.services.storage.set_state(KINDS_MIGRATED_KEY, "done")

    # sending

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Send one reply to a room as a notice (then its pin, file and image); return the
        id of the first event sent — for an edit, the id of the message edited (a deleted
        one is sent anew). After `reply.parts_sent` of those went out before, only the rest
        is sent; a failure says in `DeliveryError.parts_sent` how many have.

        Each event's transaction id comes from the reply's delivery key: the homeserver
        answers a repeat (the outbox retrying after a crash) with the event it already
        has, so nobody sees an answer twice.
        """
        if reply.edit_of in self._redacted:
            reply = dataclasses.replace(reply, edit_of=None)
        key = reply.delivery_key
        content = notice_content(
            reply, in_reply_to=reply.in_reply_to, mention=reply.mention, thread=reply.thread
        )
        steps = [lambda: self._send_event(chat_id, content, key and f"{key}.text")]
        location = location_content(reply)
        if location:
            steps.append(lambda: self._send_event(chat_id, location, key and f"{key}.pin"))
        if reply.attachment:
            steps.append(lambda: self._send_file(chat_id, reply, key and f"{key}.file"))
        if reply.image:
            steps.append(lambda: self._send_image(chat_id, reply, key and f"{key}.image"))
        first: str | None = None
        done = reply.parts_sent
        try:
            for step in steps[done:]:
                event_id = await step()
                done += 1
                first = first or event_id
        except DeliveryError as exc:
            exc.parts_sent = done
            raise
        return reply.edit_of or first

    async def _send_event(self, room_id: str, content: dict[str, Any], txn: str | None = None) -> str:
        try:
            response = await self.client.room_send(
                room_id, "m.room.message", content, tx_id=txn, ignore_unverified_devices=True
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransportDown(f"send to {room_id}: {_describe(exc)}") from exc
        except LocalProtocolError as exc:  # nio encrypts only for rooms a sync has shown it
            if not self.ready.is_set():  # not synced yet since the start: wait, blame no one
                raise TransportDown(f"send to {room_id} before the first sync") from exc
            raise DeliveryError(f"send to {room_id}: {_describe(exc)}") from exc
        if not isinstance(response, RoomSendResponse):
            raise delivery_error(response, f"send to {room_id}")
        self._remember_sent(response.event_id)
        return response.event_id

    async def _send_file(self, room_id: str, reply: Reply, txn: str | None = None) -> str:
        attachment = reply.attachment
        assert attachment is not None
        where = await self._upload(room_id, attachment.filename, attachment.mime_type, attachment.data)
        return await self._send_event(room_id, {
            "msgtype": "m.file",
            "body": attachment.filename,
            "filename": attachment.filename,
            **where,
            "info": {"mimetype": attachment.mime_type, "size": len(attachment.data)},
        }, txn)  # fmt: skip

    async def _send_image(self, room_id: str, reply: Reply, txn: str | None = None) -> str:
        image = reply.image
        assert image is not None
        where = await self._upload(room_id, image.filename, image.mime_type, image.data)
        info: dict[str, Any] = {"mimetype": image.mime_type, "size": len(image.data)}
        if image.size:
            info["w"], info["h"] = image.size
        return await self._send_event(room_id, {
            "msgtype": "m.image", "body": image.filename, "filename": image.filename,
            **where, "info": info,
        }, txn)  # fmt: skip

    async def _upload(self, room_id: str, filename: str, mime_type: str, data: bytes) -> dict[str, Any]:
        """Upload to the homeserver's media repository; where the event finds it. In an
        encrypted room the file is uploaded encrypted; its key travels in the event."""
        room = self.client.rooms.get(room_id)
        encrypted = self.crypto is not None and room is not None and room.encrypted
        try:
            uploaded, keys = await self.client.upload(
                io.BytesIO(data), content_type=mime_type, filename=filename, filesize=len(data),
                encrypt=encrypted,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransportDown(f"upload {filename}: {_describe(exc)}") from exc
        if not isinstance(uploaded, UploadResponse):
            raise delivery_error(uploaded, f"upload {filename}")
        return {"file": {**keys, "url": uploaded.content_uri}} if keys else {"url": uploaded.content_uri}

    def _remember_sent(self, event_id: str, keep: int = 1000) -> None:
        self._sent[event_id] = True
        while len(self._sent) > keep:
            self._sent.popitem(last=False)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

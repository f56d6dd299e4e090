"""Telegram: python-telegram-bot 22 updates in, the core's replies out.

Translation only. A message or a tapped button becomes an `Incoming` for the switchboard;
a `Reply` becomes sendMessage (HTML, split at 4096 characters, inline keyboard), then
sendVenue and sendDocument; Telegram's errors become `bot.transport` errors. What to say,
and when to stay silent, is the core's decision. A command or tap in a group carries
whether its sender is the group's owner or an administrator (getChatMember, remembered
for a few minutes), so the core can leave the group's settings to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import secrets
import warnings
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, MessageLimit, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters
from telegram.warnings import PTBDeprecationWarning

from bot.config import ConfigError
from bot.logs import SecretMask
from bot.markup import spans_within, to_html
from bot.messages import Button, Incoming, Reply
from bot.recent import RecentMap
from bot.transport import DeliveryError, RecipientGone, RetryLater, TransportDown
from handlers.telegram_http import AiohttpRequest

if TYPE_CHECKING:
    from bot.service import Services

log = logging.getLogger(__name__)

NAME = "telegram"
LANGUAGES = ("pl", "en")
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
POLL_TIMEOUT = timedelta(seconds=30)
MAX_BACKOFF = 15.0  # after an outage, guests wait at most this long for polling to resume
CONCURRENT_UPDATES = 32
CONNECTIONS = 16  # to the Bot API: 30 messages/s flow even at 0.5 s a round trip
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # UTF-16 code units of the visible text
BOOTSTRAP_RETRIES = 5  # setWebhook right after a successful getMe
OFFSET_KEY = "telegram.offset"
# Loggers whose records hold the token: httpx logs every request URL (INFO), PTB's bot its
# base URLs (DEBUG). A filter on a logger edits the record before any handler sees it.
TOKEN_LOGGERS = ("httpx", "telegram.Bot", "telegram.ext.ExtBot")
ADMIN_STATUSES = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
ADMIN_CACHE_SECONDS = 300.0  # a new or demoted group admin counts as such within 5 minutes
ADMIN_CACHE_SIZE = 10_000


class TelegramTransport:
    """The Telegram adapter: long polling (or a webhook) in, Bot API calls out."""

    name = NAME
    edits_messages = True  # broadcast progress is one message, edited

    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.config.telegram
        if self.settings.token is None:
            raise ConfigError("telegram: TELEGRAM_BOT_TOKEN is not set")
        self._token = self.settings.token.get_secret_value()
        self._mask = SecretMask([self._token])
        self._app: Application | None = None
        self._poller: asyncio.Task[None] | None = None
        self._stopping = False
        self._handling = False  # answering a fetched batch: finish it on stop
        self._polling_fails = False
        self._requests: tuple[AiohttpRequest, ...] = ()
        self._admins: RecentMap[tuple[str, str], bool] = RecentMap(ADMIN_CACHE_SIZE, ADMIN_CACHE_SECONDS)

    async def start(self) -> None:
        """Connect (retrying while the Bot API is unreachable), register the menu, listen."""
        for name in TOKEN_LOGGERS:
            logging.getLogger(name).addFilter(self._mask)
        self._requests = (AiohttpRequest(CONNECTIONS), AiohttpRequest(1))
        builder = (
            Application.builder()
            .token(self._token)
            .request(self._requests[0])
            .get_updates_request(self._requests[1])
        )
        if self.settings.base_url:
            builder = builder.base_url(self.settings.base_url)
        webhook = self.settings.mode == "webhook"
        if not webhook:
            builder = builder.updater(None)  # we poll ourselves: see `_poll`
        app = builder.build()
        messages = filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL  # not edits, joins...
        app.add_handler(MessageHandler(messages, self.relay_message))
        app.add_handler(CallbackQueryHandler(self.relay_button))
        app.add_error_handler(self.log_error)
        self._app = app
        try:
            await _retrying("connect to the Bot API", app.initialize)
            await self._register_menu(app.bot)
            self.services.control.listeners.append(self._refresh_menu)
            self.services.board.attach(self)
            if webhook:
                await app.start()
                await self._listen_webhook(app)
            else:
                await _retrying("remove a webhook", app.bot.delete_webhook)
                self._stopping = False
                self._poller = asyncio.create_task(self._poll(app.bot), name="telegram-poll")
        except BaseException:  # cancelled or failed while starting: leave nothing open
            await self.stop()
            raise
        log.info("telegram: serving @%s (%s)", app.bot.username, self.settings.mode)

    async def stop_receiving(self) -> None:
        """Take no new updates; answer those in hand and save how far we got."""
        self._stopping = True
        poller, self._poller = self._poller, None
        if poller is not None:
            if not self._handling:
                poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await poller
        app = self._app
        if app is not None and app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app is not None and app.running:
            await app.stop()  # webhook mode: PTB answers the updates it has queued

    async def stop(self) -> None:
        """Stop listening and close the connections."""
        await self.stop_receiving()
        self.services.board.detach(self)
        if self._refresh_menu in self.services.control.listeners:
            self.services.control.listeners.remove(self._refresh_menu)
        app, self._app = self._app, None
        if app is not None:
            await app.shutdown()
        # PTB shuts down only what initialised fully: a Bot API that never answered left
        # the connection pools open ("Unclosed client session" at every stop).
        for request in self._requests:
            await request.shutdown()
        for name in TOKEN_LOGGERS:
            logging.getLogger(name).removeFilter(self._mask)

    @property
    def connected(self) -> bool:
        """Serving: the webhook is up, or the last getUpdates call succeeded."""
        app = self._app
        if app is None:
            return False
        if self.settings.mode == "webhook":
            return app.running
        return self._poller is not None and not self._poller.done() and not self._polling_fails

    async def _poll(self, bot: Bot) -> None:
        """Long polling that answers every update exactly once across any stop or crash.

        The offset (the first update not yet answered) is stored after the whole batch was
        answered, and each update is recorded as answered in the transaction that queues
        its replies; after a crash the batch comes again and answered updates are skipped.
        (PTB's own updater confirms a batch to Telegram as soon as it fetched it.)
        """
        storage = self.services.storage
        stored = await storage.get_state(OFFSET_KEY)
        offset = int(stored) if stored else None
        delay = 1.0
        while not self._stopping:
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
                )
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                log.error("telegram: the Bot API rejected TELEGRAM_BOT_TOKEN; polling stopped")
                return
            except TelegramError as exc:
                self._polling_fails = True
                log.warning("telegram: polling failed (%s); retrying in %.0f s", exc.message, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            self._polling_fails = False
            delay = 1.0
            if not updates:
                if self.settings.poll_interval:
                    await asyncio.sleep(self.settings.poll_interval)
                continue
            self._handling = True
            try:
                await self._answer_batch(updates, bot)
                offset = updates[-1].update_id + 1
                await storage.set_state(OFFSET_KEY, str(offset))
            finally:
                self._handling = False

    async def _answer_batch(self, updates: tuple[Update, ...], bot: Bot) -> None:
        """Chats concurrently (a crowd before the doors open), each chat in order."""
        per_chat: dict[int | None, list[Update]] = {}
        for update in updates:
            chat = update.effective_chat
            per_chat.setdefault(chat.id if chat else None, []).append(update)
        gate = asyncio.Semaphore(CONCURRENT_UPDATES)

        async def answer_chat(chat_updates: list[Update]) -> None:
            async with gate:
                for update in chat_updates:
                    try:
                        await self._answer_update(update, bot)
                    except Exception:
                        log.exception("telegram: failed to handle an update")

        await asyncio.gather(*(answer_chat(u) for u in per_chat.values()))

    async def _answer_update(self, update: Update, bot: Bot) -> None:
        if update.message is not None and not filters.StatusUpdate.ALL.check_update(update):
            incoming = incoming_message(update.message, bot.bot)
        elif update.callback_query is not None:
            await self._acknowledge(update.callback_query)
            incoming = incoming_button(update.callback_query)
        else:
            return
        if incoming is not None:
            await self._hand_over(incoming, update)

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Send one reply; return the id of its (first) message."""
        if self._app is None:
            raise TransportDown("the telegram transport is not running")
        return await send_reply(self._app.bot, chat_id, reply)

    async def relay_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Hand a user's message to the core."""
        if update.message is not None:
            await self._hand_over(incoming_message(update.message, context.bot.bot), update)

    async def relay_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Acknowledge a tapped button and hand its payload to the core."""
        query = update.callback_query
        if query is None:
            return
        await self._acknowledge(query)
        incoming = incoming_button(query)
        if incoming is not None:
            await self._hand_over(incoming, update)

    @staticmethod
    async def _acknowledge(query: CallbackQuery) -> None:
        with contextlib.suppress(TelegramError):  # a stale query cannot be answered; no matter
            await query.answer()

    async def _hand_over(self, incoming: Incoming, update: Update) -> None:
        """To the core, with the update's key and, in a group, whether its sender is an admin."""
        incoming = dataclasses.replace(incoming, update_key=str(update.update_id))
        await self.services.board.dispatch(await self._with_moderator(incoming))

    async def _with_moderator(self, msg: Incoming) -> Incoming:
        """A command or tap in a group, marked when its sender is one of the group's admins."""
        if msg.is_private or msg.command is None or msg.is_room_moderator:
            return msg
        if not await self._is_group_admin(msg.chat_id, msg.sender_id):
            return msg
        return dataclasses.replace(msg, is_room_moderator=True)

    async def _is_group_admin(self, chat_id: str, user_id: str) -> bool:
        """The group's owner or an administrator (asked with getChatMember, remembered)."""
        known = self._admins.get((chat_id, user_id))
        if known is not None:
            return known
        if self._app is None:
            return False
        try:
            member = await self._app.bot.get_chat_member(chat_id, int(user_id))
        except TelegramError as exc:  # not remembered: the next command asks again
            log.warning("telegram: cannot look up a member of %s (%s)", chat_id, exc.message)
            return False
        admin = member.status in ADMIN_STATUSES
        self._admins.set((chat_id, user_id), admin)
        return admin

    async def log_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log an error raised while handling an update; the bot keeps running."""
        log.error("telegram: failed to handle an update", exc_info=context.error)

    async def _refresh_menu(self) -> None:
        """The UI texts were reloaded: the command menu says what they say now."""
        if self._app is not None:
            await self._register_menu(self._app.bot)

    async def _register_menu(self, bot: Bot) -> None:
        menus = [(None, "pl"), *((lang, lang) for lang in LANGUAGES)]  # default: Polish
        for language_code, lang in menus:
            commands = [BotCommand(c, d) for c, d in self.services.assistant.command_menu(lang)]
            try:
                await bot.set_my_commands(commands, language_code=language_code)
            except TelegramError as exc:
                log.warning("telegram: could not register the %s command menu: %s", lang, exc)

    async def _listen_webhook(self, app: Application) -> None:
        url = self.settings.webhook_url
        if not url:
            raise ConfigError("telegram: mode 'webhook' needs telegram.webhook_url")
        secret = self.settings.webhook_secret
        # Telegram echoes the secret in a header on every call and PTB rejects calls without
        # it; with none configured, a fresh one per start still keeps strangers out.
        token = secret.get_secret_value() if secret else secrets.token_urlsafe(32)
        await app.updater.start_webhook(  # type: ignore[union-attr]
            listen=self.settings.webhook_listen,
            port=self.settings.webhook_port,
            url_path=urlsplit(url).path.lstrip("/"),
            webhook_url=url,
            secret_token=token,
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=BOOTSTRAP_RETRIES,
        )


# native update -> Incoming


def incoming_message(message: Message, me: User) -> Incoming:
    """A Telegram message as the core's `Incoming` (`me` is the bot's own user)."""
    chat = message.chat
    is_private = chat.type == ChatType.PRIVATE
    sender = message.from_user
    text = message.text or message.caption or ""
    command, args, for_me = _command(text, me)
    entities = [*message.entities, *message.caption_entities]
    mentioned = any(
        (entity.type == MessageEntity.MENTION
         and _entity_text(text, entity).lower() == f"@{me.username}".lower())
        or (entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == me.id)
        for entity in entities
    )
    replied = message.reply_to_message
    to_me = replied is not None and replied.from_user is not None and replied.from_user.id == me.id
    # An anonymous admin writes as the group itself.
    as_the_group = message.sender_chat is not None and message.sender_chat.id == chat.id
    return Incoming(
        transport=NAME,
        chat_id=str(chat.id),
        sender_id=str(sender.id if sender else chat.id),
        sender_name=sender.full_name if sender else (chat.title or ""),
        text=_strip_mention(text, me.username) if me.username else text,
        is_private=is_private,
        addressed=is_private or for_me or mentioned or to_me,
        language_hint=sender.language_code if sender else None,
        command=command,
        args=args,
        is_text=message.text is not None,
        message_id=str(message.message_id),
        reply_to=str(replied.message_id) if replied else None,
        is_room_moderator=not is_private and as_the_group,
    )


def incoming_button(query: CallbackQuery) -> Incoming | None:
    """A tapped inline button as `Incoming`; its payload is a command line."""
    payload = query.data or ""
    if not payload:
        return None
    chat = query.message.chat if query.message else None
    command, _, args = payload.partition(" ")
    return Incoming(
        transport=NAME,
        chat_id=str(chat.id if chat else query.from_user.id),
        sender_id=str(query.from_user.id),
        sender_name=query.from_user.full_name,
        text=payload,
        is_private=chat is None or chat.type == ChatType.PRIVATE,
        addressed=True,
        language_hint=query.from_user.language_code,
        command=command,
        args=args.strip(),
        payload=payload,
    )


def _command(text: str, me: User) -> tuple[str | None, str, bool]:
    """'/venue@Bot x' -> ('venue', 'x', True); a command for another bot -> (None, '', False)."""
    if not text.startswith("/") or len(text) < 2 or text[1].isspace():
        return None, "", False
    head, _, args = text.partition(" ")
    name, _, target = head[1:].partition("@")
    if target and (not me.username or target.lower() != me.username.lower()):
        return None, "", False
    return name.lower(), args.strip(), True


def _entity_text(text: str, entity: MessageEntity) -> str:
    """The text an entity covers (offsets in UTF-16 units), even around a lone surrogate,
    which a custom client can send and PTB's own `parse_entity` cannot encode."""
    units = text.encode("utf-16-le", "surrogatepass")
    part = units[entity.offset * 2:(entity.offset + entity.length) * 2]
    return part.decode("utf-16-le", "replace")


def _strip_mention(text: str, username: str) -> str:
    """'@Bot, where is it?' -> 'where is it?'; '/venue@Bot x' -> '/venue x'."""
    text = re.sub(rf"@{re.escape(username)}\b", "", text, flags=re.IGNORECASE)
    return " ".join(text.split()).lstrip(",:; ")


# Reply -> Bot API calls


async def send_reply(bot: Bot, chat_id: str, reply: Reply) -> str | None:
    """Send text (in parts of at most 4,096 characters, the keyboard on the last), venue,
    file, photo.

    Each of those is one step; after `reply.parts_sent` steps went out before, only the rest
    is sent. A failure raises the delivery error with `parts_sent` saying how many steps have
    gone out, so a retry never repeats one. Returns the id of the first message sent now.
    """
    markup = keyboard(reply.buttons)
    texts = _text_parts(reply)
    steps: list[Callable[[], Awaitable[Message | str | None]]] = []
    if reply.edit_of and len(texts) == 1:
        plain, rendered = texts[0]
        steps.append(lambda: _edit_or_send(bot, chat_id, reply, plain, rendered, markup))
    else:
        for number, (plain, rendered) in enumerate(texts, start=1):
            keys = markup if number == len(texts) else None
            steps.append(lambda p=plain, r=rendered, k=keys: _send_text(bot, chat_id, p, r, k))
    venue = reply.venue
    if venue and venue.latitude is not None and venue.longitude is not None:
        lat, lon = venue.latitude, venue.longitude
        steps.append(lambda: bot.send_venue(chat_id, lat, lon, venue.title, venue.address))
    if reply.attachment:
        file = reply.attachment
        steps.append(lambda: bot.send_document(chat_id, file.data, filename=file.filename))
    if reply.image:
        image = reply.image
        steps.append(lambda: bot.send_photo(chat_id, image.data, filename=image.filename))
    first: str | None = None
    done = reply.parts_sent
    try:
        with delivery_errors():
            for step in steps[done:]:
                sent = await step()
                done += 1
                if first is None and sent is not None:
                    first = sent if isinstance(sent, str) else str(sent.message_id)
    except DeliveryError as exc:
        exc.parts_sent = done
        raise
    return first


def _text_parts(reply: Reply) -> list[tuple[str, str | None]]:
    """The reply's text as (plain, HTML or None) parts, each within Telegram's limit."""
    if not reply.text.strip():
        return []
    if reply.html is not None and utf16_len(reply.text) <= TEXT_LIMIT:
        return [(reply.text, reply.html)]  # one message: the HTML exactly as the core made it
    parts: list[tuple[str, str | None]] = []
    start = 0
    for part in split_text(reply.text, TEXT_LIMIT):
        shown = part.rstrip()  # the separator a part ends with: Telegram would drop it
        if shown:
            spans = spans_within(reply.user_spans, start, start + len(shown))
            parts.append((shown, to_html(shown, spans) if reply.html is not None else None))
        start += len(part)
    return parts


async def _send_text(
    bot: Bot, chat_id: str, plain: str, rendered: str | None, markup: InlineKeyboardMarkup | None
) -> Message:
    mode = ParseMode.HTML if rendered is not None else None
    try:
        return await bot.send_message(chat_id, rendered or plain, parse_mode=mode, reply_markup=markup)
    except BadRequest as exc:
        if mode is None or "can't parse entities" not in exc.message.lower():
            raise
        # Never expected (the core escapes its HTML), but a plain answer beats none.
        log.warning("telegram: HTML rejected (%s); sending plain text", exc.message)
        return await bot.send_message(chat_id, plain, parse_mode=None, reply_markup=markup)


async def _edit_or_send(
    bot: Bot,
    chat_id: str,
    reply: Reply,
    plain: str,
    rendered: str | None,
    markup: InlineKeyboardMarkup | None,
) -> Message | str:
    """Edit the message `reply.edit_of`; send a new one when it cannot be edited."""
    try:
        await bot.edit_message_text(
            rendered or plain, chat_id=chat_id, message_id=int(reply.edit_of or 0),
            parse_mode=ParseMode.HTML if rendered is not None else None, reply_markup=markup,
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            return await _send_text(bot, chat_id, plain, rendered, markup)
    return reply.edit_of or ""


def utf16_len(text: str) -> int:
    """The length Telegram counts: UTF-16 code units (a character beyond U+FFFF is two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut plain text into parts of at most `limit` UTF-16 units that join back to `text`.

    A part ends after a blank line, else after a line break, else after a space, in the
    last half of what fits; a word longer than a whole part is cut where it must be. The
    separator stays at the end of its part (Telegram drops it when it shows the message).
    """
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        fits = _fitting(rest, limit)
        cut = 0
        for separator in ("\n\n", "\n", " "):
            found = rest.rfind(separator, fits // 2, fits)
            if found >= 0:
                cut = found + len(separator)
                break
        if not cut:
            cut = fits
        parts.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        parts.append(rest)
    return parts


def _fitting(text: str, limit: int) -> int:
    """How many characters of `text` take at most `limit` UTF-16 units (at least one)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return max(1, index)
    return len(text)


def keyboard(buttons: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """The core's button rows as an inline keyboard; the payload is the callback data."""
    rows = [
        [InlineKeyboardButton(b.label, callback_data=b.payload) for b in row]
        for row in buttons
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


# Telegram errors -> bot.transport errors


@contextlib.contextmanager
def delivery_errors() -> Iterator[None]:
    """Translate python-telegram-bot's exceptions into the core's delivery errors."""
    try:
        yield
    except Forbidden as exc:  # the user blocked the bot, or it was removed from the group
        raise RecipientGone(exc.message) from exc
    except RetryAfter as exc:
        raise RetryLater(_seconds(exc), exc.message) from exc
    except BadRequest as exc:
        if "chat not found" in exc.message.lower():
            raise RecipientGone(exc.message) from exc
        raise DeliveryError(exc.message) from exc
    except NetworkError as exc:  # no connection, a timeout, a 5xx: the platform, not the chat
        raise TransportDown(exc.message) from exc
    except TelegramError as exc:  # ChatMigrated, ...
        raise DeliveryError(exc.message) from exc


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns on the int form; both forms are handled
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# staying up while the network is not


async def _retrying(what: str, call: Callable[[], Awaitable[object]]) -> None:
    """Await `call` until it succeeds, backing off on network errors; a bad token is fatal."""
    delay = 1.0
    while True:
        try:
            await call()
            return
        except InvalidToken:  # its message quotes the token
            raise ConfigError("telegram: the Bot API rejected TELEGRAM_BOT_TOKEN") from None
        except NetworkError as exc:
            log.warning("telegram: cannot %s (%s); retrying in %.0f s", what, exc.message, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)

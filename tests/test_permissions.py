"""A room's or group's settings are its moderators' to change; a private chat's, its user's."""

from __future__ import annotations

from bot.messages import ChatRef, Incoming
from bot.service import Services

GROUP = ChatRef("matrix", "!partners:localhost")
REFUSED_EN = "Only the room's or group's moderators"


def in_room(text: str, *, moderator: bool) -> Incoming:
    name, _, args = text[1:].partition(" ")
    return Incoming(
        transport=GROUP.transport, chat_id=GROUP.chat_id, sender_id="@bob:localhost",
        text=text, is_private=False, addressed=True, command=name, args=args,
        language_hint="en", is_room_moderator=moderator,
    )


async def test_a_member_cannot_change_the_rooms_language(services: Services) -> None:
    [refused] = await services.assistant.handle(in_room("!lang pl", moderator=False))
    assert refused.text.startswith(REFUSED_EN)
    assert await services.storage.get_user(GROUP) is None
    [offer] = await services.assistant.handle(in_room("!lang", moderator=False))
    assert offer.text.startswith(REFUSED_EN) and not offer.buttons


async def test_a_moderator_changes_the_rooms_language(services: Services) -> None:
    [done] = await services.assistant.handle(in_room("!lang pl", moderator=True))
    assert done.text == "Dobrze, odpowiadam po polsku."
    user = await services.storage.get_user(GROUP)
    assert user is not None and user.language == "pl"


async def test_a_member_cannot_erase_the_rooms_settings(services: Services) -> None:
    await services.assistant.handle(in_room("!remind", moderator=True))
    [refused] = await services.assistant.handle(in_room("!forget yes", moderator=False))
    assert refused.text.startswith(REFUSED_EN)
    user = await services.storage.get_user(GROUP)
    assert user is not None and user.reminders
    [erased] = await services.assistant.handle(in_room("!forget yes", moderator=True))
    assert erased.text.startswith("Done")
    assert await services.storage.get_user(GROUP) is None


async def test_anyone_decides_for_their_own_private_chat(services: Services) -> None:
    own = ChatRef("telegram", "300")
    lang = Incoming(transport="telegram", chat_id="300", sender_id="300", text="/lang en",
                    command="lang", args="en")
    [done] = await services.assistant.handle(lang)
    assert done.text == "OK, I will answer in English."
    forget = Incoming(transport="telegram", chat_id="300", sender_id="300", text="/forget yes",
                      command="forget", args="yes")
    [erased] = await services.assistant.handle(forget)
    assert erased.text.startswith("Done")
    assert await services.storage.get_user(own) is None

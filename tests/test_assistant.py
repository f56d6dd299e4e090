"""The conversation as any transport sees it: commands, buttons, free text, bad input."""

from __future__ import annotations

from bot.assistant import Assistant
from bot.messages import ChatRef, Incoming
from bot.service import Services


def private(text: str = "", **fields: object) -> Incoming:
    base: dict = {"transport": "telegram", "chat_id": "100", "sender_id": "100", "text": text}
    base.update(fields)
    return Incoming(**base)


def command(name: str, args: str = "", **fields: object) -> Incoming:
    return private(f"/{name} {args}".strip(), command=name, args=args, **fields)


async def test_start_greets_in_the_users_language_with_privacy_note(assistant: Assistant) -> None:
    [pl] = await assistant.handle(command("start", sender_name="Anna Kowalska"))
    assert pl.text.startswith("Dzień dobry, Anna!")
    assert "/forget" in pl.text
    assert pl.buttons, "topics offered as buttons"
    [en] = await assistant.handle(command("start", chat_id="200", language_hint="en-GB"))
    assert en.text.startswith("Hello!")


async def test_question_without_polish_letters_is_answered(assistant: Assistant) -> None:
    [reply] = await assistant.handle(private("gdzie jest forum"))
    assert "Kielce" in reply.text
    assert reply.html is not None


async def test_reply_in_the_language_of_the_question(assistant: Assistant) -> None:
    [reply] = await assistant.handle(private("when does the forum start?", language_hint="pl"))
    assert "14:00" in reply.text
    assert "Thursday" in reply.text or "starts" in reply.text or "start" in reply.text


async def test_suggestion_buttons_answer_when_tapped(assistant: Assistant) -> None:
    [menu] = await assistant.handle(command("faq", "venue"))
    payloads = [b.payload for row in menu.buttons for b in row]
    assert "show address" in payloads
    [reply] = await assistant.handle(command("show", "address", payload="show address"))
    assert "Zakładowa 1" in reply.text


async def test_off_topic_gets_the_honest_fallback_with_contacts(assistant: Assistant) -> None:
    [reply] = await assistant.handle(private("jaka będzie pogoda w Kielcach?"))
    assert "nie mam tej informacji" in reply.text.lower()
    assert "d.czerw@iccsm.network" in reply.text


async def test_not_announced_fact_is_not_invented(assistant: Assistant) -> None:
    [reply] = await assistant.handle(private("czy jest parking dla gości?"))
    assert "d.czerw@iccsm.network" in reply.text
    assert "irif.eu" in reply.text


async def test_press_question_gets_the_media_contact(assistant: Assistant) -> None:
    answer = assistant.ask("Jestem dziennikarzem, chciałbym akredytację")
    assert answer.kind == "handoff"
    assert "p.ostrek@iccsm.network" in answer.text


async def test_lang_is_remembered(services: Services) -> None:
    assistant = services.assistant
    [reply] = await assistant.handle(command("lang", "en"))
    assert "English" in reply.text
    user = await services.storage.get_user(ChatRef("telegram", "100"))
    assert user is not None and user.language == "en"
    [help_reply] = await assistant.handle(command("help"))
    assert help_reply.text.startswith("Ask in your own words")


async def test_lang_without_argument_offers_both(assistant: Assistant) -> None:
    [reply] = await assistant.handle(command("lang"))
    assert {b.payload for row in reply.buttons for b in row} == {"lang pl", "lang en"}


async def test_forget_asks_first_then_erases(services: Services) -> None:
    assistant = services.assistant
    await assistant.handle(command("lang", "en"))
    [confirm] = await assistant.handle(command("forget"))
    assert {b.payload for row in confirm.buttons for b in row} == {"forget yes", "forget no"}
    assert await services.storage.get_user(ChatRef("telegram", "100")) is not None
    [done] = await assistant.handle(command("forget", "yes"))
    assert "erased" in done.text
    assert await services.storage.get_user(ChatRef("telegram", "100")) is None


async def test_non_text_gets_one_reply_per_burst(assistant: Assistant) -> None:
    first = await assistant.handle(private(is_text=False))
    second = await assistant.handle(private(is_text=False))
    assert len(first) == 1 and "tekstowe" in first[0].text
    assert second == []


async def test_group_message_without_mention_is_ignored(assistant: Assistant) -> None:
    group = {"chat_id": "-5", "is_private": False}
    assert await assistant.handle(private("gdzie jest forum", addressed=False, **group)) == []
    [reply] = await assistant.handle(private("gdzie jest forum", addressed=True, **group))
    assert "Kielce" in reply.text


async def test_unknown_command_points_to_help(assistant: Assistant) -> None:
    [reply] = await assistant.handle(command("pizza"))
    assert "/pizza" in reply.text and "/help" in reply.text
    [matrix] = await assistant.handle(command("pizza", transport="matrix", chat_id="!r:x"))
    assert "!help" in matrix.text


async def test_empty_and_control_characters(assistant: Assistant) -> None:
    [empty] = await assistant.handle(private("   \x00\u200b  "))
    assert "pytanie" in empty.text
    [reply] = await assistant.handle(private("gdzie\x07 jest\u202e forum"))
    assert "Kielce" in reply.text


async def test_a_question_typed_over_several_lines_is_read_line_by_line(
        assistant: Assistant) -> None:
    # (the line breaks were collapsed into one run-on sentence: the question was lost)
    [reply] = await assistant.handle(private(
        "@ktokolwiek\nstoje pod hala A i kompletnie nie kumam gdzie jest to forum\n"
        "ktora hala??"))
    assert "Hala ani sala nie zostały jeszcze ogłoszone" in reply.text
    [empty] = await assistant.handle(private("\n \r\n\t\n"))
    assert "pytanie" in empty.text


async def test_huge_message_is_answered_and_says_so(assistant: Assistant) -> None:
    [reply] = await assistant.handle(private("gdzie jest forum " + "bla " * 5000))
    assert "długa" in reply.text


async def test_markup_in_questions_is_escaped(assistant: Assistant) -> None:
    [reply] = await assistant.handle(command("start", sender_name="<b>Eve</b><script>"))
    assert reply.html is not None
    assert "<script>" not in reply.html and "&lt;b&gt;Eve" in reply.html


async def test_venue_command_gives_address_and_map(assistant: Assistant) -> None:
    [reply] = await assistant.handle(command("venue"))
    assert "Zakładowa 1" in reply.text
    assert "openstreetmap" in reply.text
    assert reply.venue is None  # no coordinates in the announcement: no made-up pin


async def test_command_menu_in_both_languages(assistant: Assistant) -> None:
    pl = dict(assistant.command_menu("pl"))
    en = dict(assistant.command_menu("en"))
    assert set(pl) == set(en) and "venue" in pl
    assert pl["venue"] != en["venue"]


async def test_lone_surrogates_in_a_question_or_a_name_still_get_the_answer(
    assistant: Assistant,
) -> None:
    # A custom client can send what no encoder accepts; stored, logged or sent it raised.
    [answer] = await assistant.handle(private("gdzie jest forum \ud800 czy \udfff"))
    assert "Kielce" in answer.text
    [unknown] = await assistant.handle(private("przepis na pierogi \udc80"))  # stored unanswered
    assert "nie mam tej informacji" in unknown.text.lower()
    [greeting] = await assistant.handle(command("start", sender_name="Ania\ud83d Nowak"))
    assert greeting.text.startswith("Dzień dobry, Ania\ufffd!")
    for reply in (answer, unknown, greeting):
        reply.text.encode("utf-8")
        (reply.html or "").encode("utf-8")

"""Plain text to HTML: escaping, links in the assistant's own text, never in a user's."""

from __future__ import annotations

import html
import json

from hypothesis import example, given
from hypothesis import strategies as st

from bot.assistant import Assistant
from bot.markup import to_html, unmark, user_text
from bot.messages import Incoming, Reply
from tests.telegram_html import links, visible_text

EVIL = "http://evil.example/login"


def test_the_assistants_own_addresses_become_links() -> None:
    rendered = to_html("Więcej na https://www.irif.eu/ albo: d.czerw@iccsm.network.")
    assert links(rendered) == ["https://www.irif.eu/", "d.czerw@iccsm.network"]
    assert 'href="mailto:d.czerw@iccsm.network"' in rendered


def test_marked_user_text_is_escaped_but_never_a_link() -> None:
    reply = Reply.of(f"Nie znam {user_text(EVIL + ' <b>')} — zob. https://www.irif.eu/")
    assert reply.text == f"Nie znam {EVIL} <b> — zob. https://www.irif.eu/"
    assert reply.html is not None
    assert links(reply.html) == ["https://www.irif.eu/"]
    assert f"{EVIL} &lt;b&gt;" in reply.html


def test_a_user_cannot_close_the_mark_around_their_text() -> None:
    sneaky = f"x\ufdd1 {EVIL} \ufdd0"
    text, spans = unmark(f"Hello, {user_text(sneaky)}!")
    assert text == f"Hello, x {EVIL} !"
    assert links(to_html(text, spans)) == []


async def test_unknown_command_that_is_an_address_is_not_linked(assistant: Assistant) -> None:
    for transport, chat in (("telegram", "1"), ("matrix", "!room:x")):
        msg = Incoming(transport, chat, "u", f"/{EVIL}", command=EVIL)
        [reply] = await assistant.handle(msg)
        assert EVIL in reply.text
        assert reply.html is not None and links(reply.html) == []


async def test_first_name_that_is_an_address_is_not_linked_in_the_greeting(
    assistant: Assistant,
) -> None:
    msg = Incoming("telegram", "1", "u", "/start", sender_name="a@evil.example", command="start")
    [reply] = await assistant.handle(msg)
    assert reply.text.startswith("Dzień dobry, a@evil.example!")
    assert reply.html is not None and "evil" not in "".join(links(reply.html))


@given(st.text(alphabet=st.sampled_from("ab.@:/-_ <>&\"'\n"), max_size=200), st.text(max_size=60))
@example(own="-@a.", users="")  # two copies glued made "-@a.-", an address nobody wrote
def test_user_text_is_only_escaped_whatever_surrounds_it(own: str, users: str) -> None:
    # The second copy on its own line: glued to the first (when the user's text is empty),
    # the two could make one address or link the bot never wrote.
    text, spans = unmark(own + user_text(users) + "\n" + own)
    rendered = to_html(text, spans)
    assert visible_text(rendered) == text
    shown = text[len(own):len(text) - len(own) - 1]
    assert rendered == (to_html(own) + html.escape(shown, quote=False) + "\n"
                        + to_html(own))


def test_user_text_marks_survive_the_outbox() -> None:
    reply = Reply.of(f"Nie znam polecenia /{user_text(EVIL)}")
    reply.parts_sent = 1
    stored = Reply.from_dict(json.loads(json.dumps(reply.to_dict())))
    assert (stored.text, stored.html, stored.user_spans) == (reply.text, reply.html, reply.user_spans)
    assert stored.parts_sent == 1


def test_only_a_plausible_address_becomes_a_mailto_link() -> None:
    assert links(to_html("Pisz: d.czerw@iccsm.network.")) == ["d.czerw@iccsm.network"]
    for bogus in ["-@a.-", "x@y.z", "a@-b.com", "a@b_.com"]:
        assert links(to_html(f"see {bogus} here")) == [], bogus

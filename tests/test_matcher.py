"""Matcher behaviour a user notices, beyond the labelled set."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.config import Config
from bot.event import Event, facts_of
from faq.knowledge import KnowledgeBase
from faq.matcher import Match, Matcher, Thresholds
from faq.message import read
from faq.normalize import SLANG, fold, mentions_press, terms
from faq.premise import find_claim


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(KnowledgeBase.load())


def test_polish_letters_fold_including_l_with_stroke() -> None:
    assert fold("Łódź, Zakładowa, WRZEŚNIA") == "lodz, zakladowa, wrzesnia"
    assert terms("września") == terms("wrzesnia")
    assert terms("zaproponować") == terms("zaproponowac")


@pytest.mark.parametrize(
    ("question", "entry"),
    [("gdzie jest forum", "venue"), ("gdzie jest forum?", "venue"), ("GDZIE JEST FORUM", "venue"),
     ("kidey jest forum", "date"), ("adres", "address"), ("ile kosztuje udzial", "fee")],
)
def test_typos_case_and_keywords(matcher: Matcher, question: str, entry: str) -> None:
    match = matcher.match(question)
    assert (match.kind, match.entry) == ("answer", entry)


def test_words_only_the_off_topic_examples_know_point_away(matcher: Matcher) -> None:
    assert matcher.match("what is the capital of Taiwan").kind == "fallback"
    taking_part = matcher.match("is Taiwan taking part?")
    assert (taking_part.kind, taking_part.entry) == ("answer", "international")


def test_press_words_in_any_form_hand_off(matcher: Matcher) -> None:
    for question in ["Jestem dziennikarką TVP", "akredytacji prasowej", "a reporter here",
                     "czy mogę nagrać wywiad", "relacjonować forum dla portalu"]:
        assert mentions_press(question), question
        assert matcher.match(question).kind == "handoff", question


def test_a_one_word_phrasing_does_not_swallow_a_longer_question(matcher: Matcher) -> None:
    match = matcher.match("adres sklepu z parasolami w Warszawie")
    assert match.kind == "fallback"


def test_empty_and_punctuation_only(matcher: Matcher) -> None:
    for question in ["", "   ", "???", "🙂🙂"]:
        assert matcher.match(question).kind == "fallback"


# Messages as people write them (issue 11)


def entries(match: Match) -> list[str]:
    return match.entries or ([match.entry] if match.entry else [])


def test_a_chatty_introduction_does_not_sink_the_question(matcher: Matcher) -> None:
    message = ("Dzień dobry, nazywam się Jan Wróbel, pracuję w urzędzie gminy Sitkówka-Nowiny "
               "i pierwszy raz będę na MSPO. O której mam być na forum?")
    assert (matcher.match(message).kind, entries(matcher.match(message))) == ("answer", ["time"])
    english = ("Hello! My name is Sarah, I work for a German NGO in civil protection and it's my "
               "first time coming to Poland. What time does the forum start?")
    assert entries(matcher.match(english)) == ["time"]


def test_the_message_is_read_as_greeting_introduction_and_question() -> None:
    clauses = read("Dzień dobry, nazywam się Jan, pracuję w urzędzie gminy. O której mam być?")
    assert [c.role for c in clauses] == ["small", "intro", "intro", "question"]
    assert clauses[-1].text == "O której mam być"


def test_unknown_words_inside_a_short_question_still_count(matcher: Matcher) -> None:
    assert matcher.match("gdzie jest najlepsza pizza w Kielcach").kind == "fallback"
    assert matcher.match("Polecicie jakąś dobrą restaurację w Krakowie?").kind == "fallback"
    assert matcher.match("what's today's EUR/PLN rate?").kind == "fallback"


def test_a_place_in_the_introduction_does_not_pull_the_answer(matcher: Matcher) -> None:
    assert entries(matcher.match("we come from Litwa, where is it?")) == ["venue"]
    assert entries(matcher.match("I'm from Jordan, do I need an invitation to attend?")) == [
        "invitation"]


def test_two_questions_in_one_message_are_both_answered(matcher: Matcher) -> None:
    assert entries(matcher.match("gdzie i o której?")) == ["venue", "time"]
    assert entries(matcher.match("What time does it start and is there any dress code?")) == [
        "time", "dress_code"]
    assert entries(matcher.match("Kiedy dokładnie jest forum i ile trwa?")) == ["date", "duration"]


def test_one_question_over_two_clauses_is_answered_once(matcher: Matcher) -> None:
    assert entries(matcher.match("chce zaproponowac temat panelu, do kogo pisac")) == [
        "contact_programme"]
    assert entries(matcher.match("Czy jest parking, a jeśli tak, to gdzie?")) == ["parking"]


def test_a_lone_clear_did_you_mean_is_answered(matcher: Matcher) -> None:
    # With the answer band out of reach, the message lands among the suggestions...
    assert Matcher(matcher.kb, Thresholds(answer=0.9, single=1.0)).match(
        "is this forum something big").kind == "suggest"
    # ... where a lone candidate clearly ahead of the next one is answered.
    match = Matcher(matcher.kb, Thresholds(answer=0.9)).match("is this forum something big")
    assert (match.kind, match.entry) == ("answer", "about")


def test_cancelling_participation_gets_the_organisational_contact(matcher: Matcher) -> None:
    for message in ["muszę odwołać swój udział, do kogo pisać?",
                    "I can't come after all, who do I tell?",
                    "Czy zamiast mnie może przyjechać kolega z wydziału?",
                    # said colloquially
                    "sorry, I can't make it after all - who should I tell?",
                    "odpadam z wyjazdu, komu to zgłosić?",
                    "nie dam rady przyjechać, komu dać znać?"]:
        assert entries(matcher.match(message)) == ["contact_organisation"], message


def test_slang_is_read_as_the_words_it_stands_for(matcher: Matcher) -> None:
    assert entries(matcher.match("gdzie się kimnąć w Kielcach na noc?")) == ["accommodation"]
    assert entries(matcher.match("whos running this thing")) == ["organiser"]
    assert entries(matcher.match("wut time does it kick off")) == ["time"]
    assert entries(matcher.match("hejka, o co kaman z tym rynkiem odpornosci? xd")) == [
        "resilience_market"]
    assert entries(matcher.match("hej, a kto to w ogóle ogarnia?")) == ["organiser"]
    assert entries(matcher.match("ngl kinda confused, is this thing free or nah")) == ["fee"]
    assert entries(matcher.match("co tam będzie grane?")) == ["agenda"]
    assert entries(matcher.match("jak sie wpisac na liste")) == ["registration"]
    assert entries(matcher.match("do kiedy to trwa?")) == ["time"]
    # "how did it go" after the event asks nothing we know ("go" is no way to get there)
    assert entries(matcher.match("How did the forum go? Did the Taiwanese delegates actually "
                                 "come in the end?")) == ["international"]


def test_every_slang_meaning_is_a_word_the_knowledge_base_knows(matcher: Matcher) -> None:
    for phrase, meaning in SLANG.items():
        assert matcher.knows(" ".join(meaning)), (phrase, meaning)
    assert not matcher.knows("zalatwic")


def test_the_reply_language_is_the_questions_not_one_foreign_word(matcher: Matcher) -> None:
    assert matcher.match("we come from Litwa, where is it?").lang == "en"
    assert matcher.match("Is the forum płatne? I mean do I need to pay?").lang == "en"
    assert matcher.match("Mamy delegację z Ukrainy, will there be tłumaczenie na ukraiński?"
                         ).lang == "pl"
    assert matcher.match("Dzień dobry, where is the forum?").lang == "en"


def test_a_word_far_more_common_in_one_language_tells_it(matcher: Matcher) -> None:
    assert matcher.match("date??").lang == "en"
    assert matcher.match("event?").lang == "en"
    # a word both languages use ("agenda", "link") or no one's ("asdf") decides nothing
    assert matcher.match("agenda").lang is None
    assert matcher.match("asdf").lang is None


def test_a_short_follow_up_keeps_the_chats_language(matcher: Matcher) -> None:
    assert matcher.match("Kielce?", "en").lang == "en"
    assert matcher.match("a termin?", "en").lang == "en"  # one Polish word does not switch
    assert matcher.match("a gdzie dokładnie?", "en").lang == "pl"  # a Polish sentence does
    assert matcher.match("and the time?", "pl").lang == "en"


def test_very_short_garbage_falls_back(matcher: Matcher) -> None:
    for message in ["e", "1", "a b c", "test", "xD", "asdfghjkl", "👍"]:
        assert matcher.match(message).kind == "fallback", message


def test_a_denied_press_word_is_not_a_press_question(matcher: Matcher) -> None:
    message = "Tomasz Lis – nie ten z telewizji – inżynier. Jak się zarejestrować na forum?"
    assert (matcher.match(message).kind, matcher.match(message).entry) == (
        "answer", "registration")
    journalist = "As a journalist, do I register through the same form as the other guests?"
    assert matcher.match(journalist).kind == "handoff"


def test_a_statement_to_confirm_names_its_claim(matcher: Matcher) -> None:
    place = matcher.match("forum jest w Krakowie, prawda?")
    assert place.entry == "venue" and place.claim is not None and place.claim.about == "place"
    hours = matcher.match("it starts at 10am, right?")
    assert hours.entry == "time" and hours.claim is not None and hours.claim.hours == (10,)
    assert matcher.match("Can you recommend a good pierogi place in Warsaw?").kind == "fallback"


def test_an_ordinary_word_is_not_read_as_a_typo_of_another(matcher: Matcher) -> None:
    # "rock" is no typo of "rok" (year: the next edition), "remove" none of "remote"
    assert entries(matcher.match("can i just rock up or do i need an invite lol")) == [
        "invitation"]
    assert "streaming" not in entries(matcher.match("pls remove me from the list"))
    assert entries(matcher.match("kidey jest forum")) == ["date"]  # a real typo still is


def test_a_further_clause_about_the_same_thing_is_not_a_second_answer(matcher: Matcher) -> None:
    message = ("Can you recommend accommodation in Kielce? "
               "Or do you book hotels for foreign delegates?")
    assert entries(matcher.match(message)) == ["accommodation"]


def test_a_question_naming_a_topic_by_its_title_is_not_about_the_context(
        matcher: Matcher) -> None:
    message = "Dzień dobry, pytam w imieniu szefa. Co to jest to MSPO?"
    assert entries(matcher.match(message)) == ["mspo"]


def test_a_further_yes_no_clause_naming_nothing_is_no_second_question(
        matcher: Matcher) -> None:
    assert entries(matcher.match("Kto będzie prelegentem? Są już jakieś nazwiska?")) == [
        "agenda"]
    assert entries(matcher.match("To forum jest w Warszawie, tak? Na Narodowym?")) == ["venue"]
    # one that names its topic, or asks who/what/where, is asked anew ("do" is Polish here)
    assert entries(matcher.match("Kiedy jest forum? I czy jest parking?")) == ["date", "parking"]
    assert entries(matcher.match("Kto organizuje to forum? I do kogo pisać w sprawach programu?")
                   ) == ["organiser", "contact_programme"]


def test_a_purpose_after_the_question_is_context(matcher: Matcher) -> None:
    message = ("We would like to know what is the date of this forum so we can organise the "
               "trip together with them")
    assert [c.role for c in read(message)][-1] == "context"
    assert entries(matcher.match(message)) == ["date"]
    assert read("so is it free?")[0].role == "question"


def test_an_entry_is_found_by_its_title(matcher: Matcher) -> None:
    # "Kontakt: organizacja" is the title of the organisational contact
    assert entries(matcher.match("who is the main kontakt for organizacja stuff?")) == [
        "contact_organisation"]


def test_a_quoted_question_is_reported_not_asked(matcher: Matcher) -> None:
    message = ("Muszę uzasadnić wyjazd przed skarbnikiem, a on zawsze pyta „po co”. "
               "Jakie tematy będą poruszane na forum?")
    assert entries(matcher.match(message)) == ["topics"]


def test_a_greeting_with_or_is_no_tag_to_confirm(matcher: Matcher) -> None:
    message = "Dear Sir or Madam, we will visit MSPO anyway. Is something also in the evening?"
    assert entries(matcher.match(message)) == ["time"]
    checking = matcher.match("Just double checking - the forum is 10.09, tak?")
    assert entries(checking) == ["date"] and checking.claim is not None


def test_press_questions_go_to_the_media_contact_unless_they_name_accreditation(
        matcher: Matcher) -> None:
    for message in ["Czy po wydarzeniu udostępnicie zdjęcia dla prasy?",
                    "Czy mogę umówić wywiad z ambasadorem? Piszę dla portalu samorządowego",
                    "I'm a journalist, who do I talk to?"]:
        assert (matcher.match(message).kind, entries(matcher.match(message))) == (
            "handoff", ["contact_media"]), message
    for message in ["Jak uzyskać akredytację prasową na forum?",
                    "freelance photographer here, need a media pass for the forum"]:
        assert entries(matcher.match(message)) == ["accreditation"], message


def test_a_quoted_name_just_before_the_question_is_what_it_asks_about(
        matcher: Matcher) -> None:
    message = ("We're looking at the Polish market for resilience products. My colleague "
               "mentioned this 'resilience market' thing at MSPO - what is it exactly?")
    assert entries(matcher.match(message)) == ["resilience_market"]


def test_chat_fillers_and_forms_of_address_say_nothing(matcher: Matcher) -> None:
    assert entries(matcher.match("whats the deal with this forum tbh")) == ["about"]
    assert entries(matcher.match("szefie, da sie jeszcze wbic na liste?")) == ["registration"]


def test_a_second_question_after_a_word_of_asking(matcher: Matcher) -> None:
    assert entries(matcher.match("Poproszę adres targów i info czy jest parking")) == [
        "address", "parking"]


def test_a_question_pointing_back_asks_something_new(matcher: Matcher) -> None:
    # "w nim" points to the market, but asks who may take part, not what it is again
    answered = entries(matcher.match(
        "Czym jest ten Rynek Odporności Społecznej i kto może w nim uczestniczyć?"))
    assert answered[0] == "resilience_market" and len(answered) == 2
    assert entries(matcher.match("Who is Paturej and how can I contact him?")) == [
        "paturej", "contact_programme"]


def test_an_unknown_name_in_the_question_is_about_something_else(matcher: Matcher) -> None:
    assert matcher.match("Kiedy są targi Agrotravel w Kielcach?").kind == "fallback"
    # in the introduction a name does not count against the question
    assert entries(matcher.match("Our delegation from Chernivtsi - do we need an invitation?")
                   ) == ["invitation"]


# Third round (issue 11)


@pytest.fixture(scope="module")
def with_facts() -> Matcher:
    """The matcher as the bot builds it: with the event's facts (claims, next edition)."""
    return Matcher(KnowledgeBase.load(), facts=facts_of(Event.load(Config().event_file)))


def test_a_second_question_is_answered_though_the_first_entry_knows_its_words(
        matcher: Matcher) -> None:
    # The organisational contact's phrasings know "adres" (a mail address) and "strony".
    asked = "Poproszę maila do pani Czerw, a przy okazji jaki jest adres strony forum?"
    assert entries(matcher.match(asked)) == ["contact_organisation", "website"]


def test_topics_joined_by_a_plus_are_both_asked(matcher: Matcher) -> None:
    assert entries(matcher.match("quick q: date + dress code?")) == ["date", "dress_code"]
    assert entries(matcher.match("parking & wifi?")) == ["parking", "wifi"]


def test_and_i_wanted_to_ask_leads_into_a_question(matcher: Matcher) -> None:
    asked = ("hi im calling from the municipality of Iasi and i wanted to ask what time the "
             "forum starts and what the street address is because we are booking a minibus")
    assert entries(matcher.match(asked)) == ["time", "address"]


def test_a_bare_command_is_no_question(matcher: Matcher) -> None:
    for command in ["/start", "/help@irlf_bot", "!faq"]:
        assert matcher.match(command).kind == "fallback", command


def test_is_that_still_the_case_asks_to_confirm_the_statement(with_facts: Matcher) -> None:
    match = with_facts.match("I read it's in Poznań at the MTP grounds, is that still the case?")
    assert match.entry == "venue" and match.claim is not None
    assert match.claim.places == ("poznan",)
    # A question that only looks like a tag still asks.
    assert with_facts.match("is it in the morning or afternoon?").entry == "time"


def test_the_date_or_place_of_the_next_edition_is_the_next_edition(with_facts: Matcher) -> None:
    for asked in ["I heard the 2027 event is also at MSPO in September?",
                  "Witam, quick question o edycję 2027 - kiedy to będzie?",
                  "a gdzie będzie forum w przyszłym roku?"]:
        assert entries(with_facts.match(asked)) == ["next_edition"], asked
    assert entries(with_facts.match("kiedy jest forum?")) == ["date"]
    # "expo" in the next host's name (KIELCE IFRE-EXPO) is an ordinary word, no sign of it.
    assert entries(with_facts.match("The forum is in Warsaw at EXPO XXI, yeah?")) == ["venue"]


def test_the_press_desk_is_handed_one_request(matcher: Matcher) -> None:
    match = matcher.match("Regional TV from Lublin here, we need accreditation for a crew of two")
    assert (match.kind, entries(match)) == ("handoff", ["accreditation"])


def test_topics_listed_in_a_question_are_each_answered(matcher: Matcher) -> None:
    assert entries(matcher.match("godzina i adres?")) == ["time", "address"]
    assert entries(matcher.match("what's the date and the address?")) == ["date", "address"]
    assert entries(matcher.match("data, godzina, miejsce?")) == ["date", "time", "venue"]
    assert entries(matcher.match("1) data 2) godzina 3) adres")) == ["date", "time", "address"]
    assert entries(matcher.match("Good day. Please confirm the date and the end time of the "
                                 "Forum.")) == ["date", "time"]
    # Not a list of topics: "for the army and local government" says who, it asks nothing.
    audience = matcher.match("Czy to forum jest dla firm, czy raczej dla wojska i samorządów?")
    assert "piaseczno" not in entries(audience)
    assert entries(matcher.match("can I watch it online")) == ["streaming"]


def test_a_length_typed_short_is_a_claim_to_check(with_facts: Matcher) -> None:
    match = with_facts.match("so its only 2h? kinda short no")
    assert (match.entry, match.claim and match.claim.length) == ("duration", 2.0)


def test_what_the_writer_heard_beside_a_question_is_checked(with_facts: Matcher) -> None:
    match = with_facts.match(
        "Słyszałem że to całodniowe, od rana do wieczora, więc biorę cały dzień wolnego?")
    assert (match.entry, match.claim and match.claim.length) == ("duration", 24.0)


def test_a_journalist_asking_only_facts_gets_the_facts(matcher: Matcher) -> None:
    asked = ("Hi, news agency stringer here 🙂 which foreign participants are expected at the "
             "Forum? Need it for a short piece.")
    assert (matcher.match(asked).kind, entries(matcher.match(asked))) == (
        "answer", ["international"])
    # Asking to attend, register or record, or for a contact, is asked as press.
    for as_press in ["I write for a German civil protection magazine, can I attend as press?",
                     "jestem z radia, czy możemy nagrywać na forum",
                     "Jestem dziennikarzem, z kim mogę się skontaktować?"]:
        assert matcher.match(as_press).kind == "handoff", as_press


def test_what_only_leads_into_the_question_is_no_question_of_its_own(matcher: Matcher) -> None:
    asked = ("Uprzejmie informuję, że nasza jednostka otrzymała zaproszenie. Proszę o "
             "wskazanie, w której hali targowej odbędzie się Forum.")
    assert entries(matcher.match(asked)) == ["hall"]
    asked = ("Dzień dobry Państwu. Czy mogę prosić o informację, kto przewodniczy ICCSS? "
             "Przygotowuję pismo i chciałbym poprawnie zaadresować je wraz z tytułem.")
    assert entries(matcher.match(asked)) == ["paturej"]
    assert entries(matcher.match("Hi, two quick things: what is ICCSS, and was there an earlier "
                                 "forum before this one?")) == ["organiser", "piaseczno"]


def test_a_relative_clause_in_a_statement_asks_nothing(matcher: Matcher) -> None:
    asked = ("Hello from Taipei! I noticed Taiwan is mentioned among the participating "
             "countries, which made my day. Which other countries will be represented?")
    assert entries(matcher.match(asked)) == ["international"]


def test_of_two_facts_stated_the_wrong_one_is_answered(with_facts: Matcher) -> None:
    match = with_facts.match("Dzień dobry, forum jest 11 września o 14, dobrze pamiętam?")
    assert match.entry == "date" and match.claim is not None and 11 in match.claim.days


def test_a_further_question_opened_by_and_plus_a_question_word_is_answered(
        with_facts: Matcher) -> None:
    assert entries(with_facts.match(
        "Hej, o której jest forum i czy sesja będzie nagrywana? Bo może nie zdążę")) == [
        "time", "streaming"]
    assert entries(with_facts.match(
        "Cześć, a będzie coś do jedzenia? I w ogóle ile to trwa, bo jadę z daleka")) == [
        "catering", "duration"]
    assert entries(with_facts.match(
        "Hi there, does ICCSS run any training for volunteer fire brigades? And will there be "
        "another forum after this one?")) == ["initiatives", "next_edition"]


def test_but_says_nothing_and_an_apology_asks_nothing(matcher: Matcher) -> None:
    assert entries(matcher.match("but what is MSPO actually?")) == ["mspo"]
    assert [c.role for c in read("Sorry if this is a silly question. Where is it?")] == [
        "context", "question"]


def test_one_contact_per_reply_the_one_the_matter_needs(matcher: Matcher) -> None:
    assert entries(matcher.match(
        "I need to change the name on our registration, who do I contact?")) == [
        "contact_organisation"]
    assert entries(matcher.match(
        "Cześć, dzięki za zaproszenie! Szukam jeszcze maila do kogoś, kto ogarnia sprawy "
        "organizacyjne, bo chcę coś zmienić w zgłoszeniu.")) == ["contact_organisation"]


def test_an_alternative_offered_is_no_second_question(matcher: Matcher) -> None:
    assert entries(matcher.match(
        "Hi, is parking available for Forum guests, or should we come by taxi?")) == ["parking"]
    assert entries(matcher.match("Hej, o której jest forum i czy sesja będzie nagrywana?")) == [
        "time", "streaming"]


def test_only_for_someone_is_a_claim_about_who_may_come(with_facts: Matcher) -> None:
    for said in ["Forum jest tylko dla wojskowych, więc jako wójt gminy raczej nie mam tam "
                 "czego szukać?", "Is it true the Forum is only for military officers?"]:
        match = with_facts.match(said)
        assert match.entry == "audience" and match.claim is not None, said
        assert match.claim.about == "audience"


def test_which_day_is_asked_by_dzien_and_a_greeting_says_nothing(matcher: Matcher) -> None:
    # ("dzień" was read as the greeting's word and dropped: "which day" asked nothing)
    for asked in ["w jaki dzień jest forum?", "jaki dzien?", "Dzien dobry, w jaki dzien "
                  "bedzie ten forum w Kielcach?"]:
        assert entries(matcher.match(asked)) == ["date"], asked
    assert entries(matcher.match("Dzień dobry gdzie jest forum")) == ["venue"]
    assert matcher.match("Dzień dobry").kind == "fallback"


def test_moving_someone_elses_registration_goes_to_the_organisers(matcher: Matcher) -> None:
    assert entries(matcher.match("Zamiast prezesa przyjedzie jego zastępczyni, czy można "
                                 "przepisać zgłoszenie na nią?")) == ["contact_organisation"]


def test_withdrawing_an_application_goes_to_the_organisers(matcher: Matcher) -> None:
    # ("należy" was a word only the dress code's phrasings had: "what should I wear")
    for said in ["Chciałbym wycofać zgłoszenie naszej gminy. Co należy zrobić?",
                 "Muszę wycofać swoje zgłoszenie, co należy zrobić?"]:
        assert entries(matcher.match(said)) == ["contact_organisation"], said


def test_a_fee_per_person_and_the_programme_online(matcher: Matcher) -> None:
    assert entries(matcher.match("Our delegacja is six people, is there a fee per person?")
                   ) == ["fee"]
    assert entries(matcher.match("My boss reads everything on his phone, where can he find "
                                 "the programme online?")) == ["agenda"]


def test_a_word_of_ours_that_off_topic_examples_use_too_is_ours(matcher: Matcher) -> None:
    # (an off-topic example listed the same keyword and won the tie: a fallback)
    asked = {"will there be translation?": "language", "telefon?": "contacts",
             "hasło?": "wifi", "exhibition?": "mspo", "kod pocztowy?": "address"}
    for question, entry in asked.items():
        assert entries(matcher.match(question)) == [entry], question
    for away in ["jak zresetować telefon?", "translate this sentence into German",
                 "what is the history of Poland?", "which companies are exhibiting?"]:
        assert matcher.match(away).kind == "fallback", away


def test_a_bare_question_asks_about_the_one_before_only_if_it_can(matcher: Matcher) -> None:
    # the parking is somewhere; a dress code or a translation is not: "where is it?" is the forum
    assert entries(matcher.match("Czy jest parking, a jeśli tak, to gdzie?")) == ["parking"]
    assert entries(matcher.match("Czy obowiązuje dress code, a gdzie to jest?")) == [
        "dress_code", "venue"]
    assert entries(matcher.match("Will there be translation and where is it?")) == [
        "language", "venue"]


def test_a_question_typed_without_a_question_mark_before_the_closing(matcher: Matcher) -> None:
    # the closing ran into the question; with no question mark anywhere, every statement
    # of the message was taken for the question ("first time" asked about the first edition)
    asked = {
        "Dzień dobry, nazywam się Anna Kowalska i pracuję w starostwie. gdzie jest forum Będę "
        "wdzięczna za szybką odpowiedź.": ["venue"],
        "Witam! Jestem z OSP z gminy Morawica, pierwszy raz będę na takim wydarzeniu. kontakt "
        "Dzięki!": ["contacts"],
        "Hi there! I'm a PhD student from Tartu, first time in Poland. registration Thanks in "
        "advance": ["registration"],
        "Good afternoon, a colleague from the embassy forwarded me the announcement. agenda for "
        "the forum Many thanks for your help.": ["agenda"],
        "Witam! Jestem z OSP, pierwszy raz będę na takim wydarzeniu. regulamin forum "
        "Pozdrawiam, Anna": ["terms"],
    }
    for said, expected in asked.items():
        assert entries(matcher.match(said)) == expected, said


def test_asking_what_the_forum_is_is_not_about_the_writers_own_words(matcher: Matcher) -> None:
    # ("first time in Poland" said before "what is IRLF?" answered the first edition)
    for said in ["Hi! I'm a PhD student from Tartu, first time in Poland. What is IRLF?",
                 "Cześć, jestem pierwszy raz na MSPO. Co to za forum?"]:
        assert entries(matcher.match(said)) == ["about"], said


def test_a_shouted_question_has_no_names(matcher: Matcher) -> None:
    # (capitals read as names: an organiser "ZAPEWNIA NOCLEG" claimed)
    assert entries(matcher.match("CZY ORGANIZATOR ZAPEWNIA NOCLEG?")) == ["accommodation"]


def test_a_vague_question_borrows_only_what_it_can_ask_about(matcher: Matcher) -> None:
    # "where is it?" after "first time at MSPO" answered the first edition, never asked where
    said = ("Hello, I'm a liaison officer from the Lithuanian embassy, first time at MSPO. "
            "What should I wear and where is it?")
    assert entries(matcher.match(said)) == ["dress_code", "venue"]


def test_which_forum_in_the_series(matcher: Matcher) -> None:
    assert entries(matcher.match("Które to było forum z kolei?")) == ["first_time"]


def test_what_is_said_beside_where_or_when_lends_only_what_is_asked_so(
        matcher: Matcher) -> None:
    # (the delegation's country answered with the countries: never asked when)
    assert entries(matcher.match("Z Gruzji przyjedzie delegacja, kiedy dokładnie jest forum?")
                   ) == ["date"]
    assert entries(matcher.match("Our delegation from Moldova has 4 people. Where exactly is "
                                 "the forum?")) in (["venue"], ["address"], ["venue", "address"])


def test_a_name_the_asked_thing_is_likened_to_is_not_asked_about(matcher: Matcher) -> None:
    # (the "Bądź Gotów" app named in a comparison answered with ICCSS's initiatives)
    assert entries(matcher.match("Czy forum ma aplikację jak Bądź Gotów?")) == ["event_app"]
    assert entries(matcher.match("Is there an app like Be Ready for the forum?")) == ["event_app"]
    assert entries(matcher.match("Co to jest Bądź Gotów?")) == ["initiatives"]
    # what one would like is no likeness
    assert "fee" in matcher.match("I'd like MSPO tickets info").suggestions


def test_a_capitalised_word_of_asking_opens_a_sentence_without_a_full_stop(
        matcher: Matcher) -> None:
    # phones drop the question mark: "…internetu Muszę…" ran the next sentence into the question
    assert entries(matcher.match("Czy na sali będzie dostęp do internetu Muszę w trakcie "
                                 "odpisywać na maile z urzędu")) == ["wifi"]
    # a name keeps its capitals: "Dzień Strażaka" is no new sentence
    assert matcher.match("Kiedy jest Dzień Strażaka?").kind == "fallback"


def test_a_question_after_i_jeszcze_is_no_relative_clause(matcher: Matcher) -> None:
    # ("którego…" after a colon was read as "…, which…": the second question was lost)
    assert entries(matcher.match("Czy obowiązuje dress code? I jeszcze: którego dnia jest "
                                 "forum?")) == ["dress_code", "date"]


@pytest.mark.parametrize(("text", "expected"), [
    # two joining words: the question opens after both, not after the first alone
    ("What language will it be in and also is there parking", ["language", "parking"]),
    ("W jaki dzień jest forum a także jaki jest program", ["date", "agenda"]),
    # "as well as" joins a second question as "and" does
    ("Where do I sign up as well as where is it??", ["registration", "venue"]),
    ("What should I wear as well as what is the venue", ["dress_code", "venue"]),
    # after a greeting, "who…" opens a question, not a relative clause
    ("hi, who organises it\nwill there be translation?", ["organiser", "language"]),
    # after "&", "what…" and "who…" open a question of their own
    ("Is lunch provided & what should I wear", ["catering", "dress_code"]),
    ("How much does it cost & who are the speakers", ["fee", "agenda"]),
    # typed straight on, as on a phone, with no question mark or comma between
    ("kto jest organizatorem jaki jest adres strony", ["organiser", "website"]),
    ("o ktorej konczy sie forum czy bedzie cos do jedzenia", ["time", "catering"]),
    ("jak dojechac z dworca PKP czy sa jakies noclegi w poblizu", ["directions", "accommodation"]),
    ("czy udział jest płatny gdzie się odbywa forum", ["fee", "venue"]),
    ("which countries will take part is there a registration deadline",
     ["international", "registration"]),
    ("what are the hours what is the venue", ["time", "venue"]),
    ("is it free where can I park", ["fee", "parking"]),
    # after a pronoun no relative clause starts: "who…" asks
    ("who organises it who are the speakers", ["organiser", "agenda"]),
    ("what date is it what is the venue", ["date", "venue"]),
    # a verb before its subject: "who do I…" asks, where "who" after a noun would describe it
    ("where can i see the programme who do i contact about logistics",
     ["agenda", "contact_organisation"]),
    ("Czy forum jest bezpłatne A jeśli tak to gdzie znajdę warunki udziału", ["fee", "terms"]),
])
def test_a_second_question_is_answered_however_it_is_joined(
        matcher: Matcher, text: str, expected: list[str]) -> None:
    # (without a question mark between, one of the two was lost)
    assert entries(matcher.match(text)) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("What day of the week is the forum", ["date"]),  # the verb after its question
    ("any chance of a livestream for colleagues who can't travel", ["streaming"]),
    ("I was wondering whether the sessions will be recorded", ["streaming"]),
    ("czy moge przyjsc w dzinsach i marynarce czy trzeba garnitur", ["dress_code"]),  # either
])
def test_one_question_is_not_cut_in_two(matcher: Matcher, text: str, expected: list[str]) -> None:
    assert entries(matcher.match(text)) == expected


def test_and_also_keeps_the_english_pronoun_with_its_statement(matcher: Matcher) -> None:
    # "but I need to know: does…" is one question, not "but | I need to know" read as a
    # request of its own
    found = matcher.match("Flights are our problem of course, but I need to know: does "
                          "attending the forum itself cost anything?")
    assert entries(found) == ["fee"]


def test_plus_joins_a_second_question(matcher: Matcher) -> None:
    # ("plus" was a word of the off-topic "2 plus 2": the second question was vetoed)
    assert entries(matcher.match("When is the forum. Plus is there parking?")) == ["date", "parking"]
    assert entries(matcher.match("Is it free? Plus who are the speakers?")) == ["fee", "agenda"]
    assert matcher.match("what is 2 plus 2").kind == "fallback"


def test_konkretnie_only_asks_for_more_detail(matcher: Matcher) -> None:
    assert entries(matcher.match("a gdzie konkretnie?")) == ["venue"]


def test_this_edition_again_at_the_last_ones_place_is_corrected(with_facts: Matcher) -> None:
    # ("jak w zeszłym roku" compares: it asks nothing, so the sentence is one to confirm)
    for said in ["To forum znowu jest w Piasecznie jak w zeszłym roku?",
                 "Czy forum znowu jest w Piasecznie?"]:
        match = with_facts.match(said)
        assert entries(match) == ["venue"] and match.claim is not None, said
        assert match.claim.about == "place"


def test_tags_that_ask_to_confirm_a_remembered_fact(with_facts: Matcher) -> None:
    cases = {
        "Forum jest 12 września, dobrze zapamiętałem?": "date",
        "Słyszałam, że forum startuje o 11, więc przyjadę o 10, tak będzie ok?": "time",
        "Forum jest w Radomiu — potwierdzicie?": "venue",
    }
    for said, entry in cases.items():
        match = with_facts.match(said)
        assert entries(match) == [entry] and match.claim is not None, said


def test_is_this_the_correct_date_checks_what_was_read(with_facts: Matcher) -> None:
    match = with_facts.match("W mailu wyczytałam 17 września – czy to prawidłowa data?")
    assert entries(match) == ["date"] and match.claim is not None


def test_a_price_stated_is_a_claim_about_the_fee(with_facts: Matcher) -> None:
    for said in ["Kolega mówi, że wejściówka na forum to 300 zł, zgadza się?",
                 "I was told the forum ticket is 50 EUR per person, is that correct?"]:
        match = with_facts.match(said)
        assert entries(match) == ["fee"] and match.claim is not None, said
        assert match.claim.about == "fee"
    # what the writer "knows" is taken as given; the admission's price names the event
    assert entries(with_facts.match("wiem ze wejsciowka kosztuje 200 zl, na jaki rachunek "
                                    "przelac?")) == ["fee"]


def test_a_claim_to_confirm_is_corrected_however_like_a_travel_or_price_question(
        with_facts: Matcher) -> None:
    # (an off-topic example — travel to Gdańsk, prices in zloty — tied and won: fallback)
    for said, entry in [("Spotkanie jest w Gdańsku, prawda?", "venue"),
                        ("The ticket costs 200 zloty, right?", "fee")]:
        match = with_facts.match(said)
        assert entries(match)[:1] == [entry] and match.claim is not None, said


def test_which_after_a_lead_in_of_asking_is_the_question(matcher: Matcher) -> None:
    # ("Interesuje mnie, | którego dnia…" read as a relative clause: the lead-in alone was
    # the question, and the MSPO said before it answered)
    assert entries(matcher.match(
        "Dzień dobry, tu Agnieszka ze starostwa powiatowego. Układamy harmonogram wyjazdu na "
        "MSPO dla kilku osób z powiatu i z gmin. Interesuje mnie, którego dnia targów jest "
        "forum, bo MSPO trwa kilka dni.")) == ["date"]


def test_a_one_word_tag_ending_a_sentence_asks_to_confirm_without_a_question_mark(
        with_facts: Matcher) -> None:
    # (phones drop the "?": "…, prawda" asked nothing and fell back)
    for said, entry in [("Pan Paturej to prezydent Kielc, prawda", "paturej"),
                        ("The forum is in Warsaw at EXPO XXI, yeah", "venue"),
                        ("The forum starts at 10 am, right Want to be sure I'm not late.",
                         "time")]:
        match = with_facts.match(said)
        assert entries(match)[:1] == [entry], said
    # (a word inside the message is no tag: "wiem" says "I know")
    assert [c.role for c in read("(wiem, wstyd) gdzie jest forum")][:2] != ["question", "small"]


@pytest.mark.parametrize(("text", "expected"), [
    ("In which hall was the forum held I want to mention it in my blog post.", ["hall"]),
    ("Where was the forum held I missed it", ["venue"]),
    # the Polish "I" opening the next question ("I do kogo…" is no English "I do")
    ("Kto organizuje to forum I do kogo pisać w sprawach programu",
     ["organiser", "contact_programme"]),
    # everyday words that open a sentence when capitalised ("Jadę…", "Jedna…", "Just…")
    ("Czy organizator zapewnia nocleg dla gości spoza województwa Jadę z Suwałk, to ponad "
     "500 km.", ["accommodation"]),
    ("czy przewidziano tłumaczenie na polski język migowy Jedna z naszych koordynatorek jest "
     "osobą głuchą.", ["language"]),
    # a capital "A" opens one too, and "przy okazji" says nothing before the question
    ("Co będzie po tym forum, jakaś kolejna edycja A przy okazji kto jest szefem ICCSS",
     ["next_edition", "paturej"]),
    # "I" going on with its clause: after "can", "anything", or before "can", "think"
    ("Is there anything I need to do to register for the forum?", ["registration"]),
    ("The Kielce forum is over now, what's the next event I can go to?", ["next_edition"]),
])
def test_the_writers_i_after_a_whole_clause_opens_a_sentence(
        matcher: Matcher, text: str, expected: list[str]) -> None:
    # (phones drop the full stop: "…held I missed it" sank the question)
    assert entries(matcher.match(text)) == expected


def test_an_ordinal_day_is_a_day(with_facts: Matcher) -> None:
    match = with_facts.match("Is it true that it is on the 12th of September?")
    assert entries(match) == ["date"] and match.claim is not None
    assert match.claim.days == (12,) and match.claim.holds(with_facts.facts) is False


def test_a_season_next_year_is_the_next_edition(with_facts: Matcher) -> None:
    assert entries(with_facts.match("a friend mentioned a second forum in Tallinn next autumn, is "
                                    "that right?")) == ["next_edition"]


def test_online_is_a_wrong_place(with_facts: Matcher) -> None:
    match = with_facts.match("Hello, I understand the Forum is fully online this year. Could "
                             "you send me the link to join?")
    assert match.entry == "venue" and match.claim is not None and match.claim.about == "place"


def test_a_tag_alone_confirms_the_sentence_before_it(with_facts: Matcher) -> None:
    match = with_facts.match("The forum is in Warsaw. Is that right?")
    assert match.entry == "venue" and match.claim is not None
    assert entries(with_facts.match(
        "Dzień dobry, czytałem, że następne forum przy IFRE-EXPO ma być we wrześniu 2027 w "
        "Warszawie. Czy to aktualne?")) == ["next_edition"]


def test_a_request_saying_who_asks_leads_into_a_question_of_fact(matcher: Matcher) -> None:
    asked = "Potrzebuję do artykułu jednej informacji: ilu uczestników było na forum w Piasecznie?"
    assert (matcher.match(asked).kind, entries(matcher.match(asked))) == ("answer", ["piaseczno"])


def test_a_formal_letter_asks_what_it_requests_not_its_signature(with_facts: Matcher) -> None:
    letter = ("Dzień dobry,\nw związku z otrzymanym zaproszeniem na Międzynarodowe Forum Liderów "
              "Odporności uprzejmie proszę o potwierdzenie dokładnego adresu miejsca wydarzenia.\n"
              "Z poważaniem\nAnna Wróbel\nWydział Bezpieczeństwa i Zarządzania Kryzysowego")
    asked = [c.text for c in read(letter) if c.role == "question"]
    assert asked == ["uprzejmie proszę o potwierdzenie dokładnego adresu miejsca wydarzenia"]
    assert entries(with_facts.match(letter)) == ["address"]


def test_a_question_pointing_back_at_a_person_asks_about_that_person(matcher: Matcher) -> None:
    assert entries(matcher.match("Kim jest Paturej i jak się z nim skontaktować?")) == [
        "paturej", "contact_programme"]


def test_the_last_editions_place_with_this_editions_date_is_a_wrong_place(
        with_facts: Matcher) -> None:
    match = with_facts.match("Forum w Piasecznie 10 września, jadę tam, wszystko aktualne?")
    assert match.entry == "venue" and match.claim is not None and match.claim.about == "place"


def test_czy_opens_a_further_question_unless_it_offers_an_alternative(matcher: Matcher) -> None:
    assert entries(matcher.match("godzina rozpoczecia + czy sa noclegi w poblizu?")) == [
        "time", "accommodation"]


def test_what_was_heard_in_a_clause_of_its_own_is_checked(with_facts: Matcher) -> None:
    match = with_facts.match("Słyszałem, że forum jest w piątek 10 września — o której startuje?")
    assert entries(match) == ["date", "time"] and match.claim is not None
    ended = with_facts.match("The forum ended at 18:00, didn't it?")
    assert ended.entry == "time" and ended.claim is not None and ended.claim.ends


def test_a_press_request_naming_accreditation_goes_to_accreditation(matcher: Matcher) -> None:
    match = matcher.match("Fotoreporter, potrzebuję akredytacji prasowej na forum. Jak ją załatwić?")
    assert (match.kind, entries(match)) == ("handoff", ["accreditation"])


def test_and_plus_a_question_word_asks_something_new(matcher: Matcher) -> None:
    assert entries(matcher.match("Who is Krzysztof Paturej and what is ICCSS?")) == [
        "paturej", "organiser"]


def test_when_and_where_of_the_next_edition_is_the_next_edition(with_facts: Matcher) -> None:
    assert entries(with_facts.match(
        "Kiedy i gdzie dokładnie będzie IFRE-EXPO, o którym mówiono na forum?")) == ["next_edition"]


def test_if_so_then_where_is_a_further_question(matcher: Matcher) -> None:
    assert entries(matcher.match("czy forum jest darmowe, a jesli tak to gdzie formularz")) == [
        "fee", "registration"]
    # ... but "czy trzeba się rejestrować, a jeśli tak, to gdzie?" asks one thing
    assert entries(matcher.match("czy trzeba się rejestrować, a jeśli tak to gdzie?")) == [
        "registration"]


def test_a_right_fact_heard_beside_a_question_is_not_answered_too(with_facts: Matcher) -> None:
    assert entries(with_facts.match("Hey, I was at MSPO in Sept and only heard about the forum "
                                    "afterwards. What was it about?")) == ["about"]


def test_the_last_editions_place_again_is_a_wrong_place(with_facts: Matcher) -> None:
    match = with_facts.match("W tym roku forum znowu jest w Piasecznie, tak?")
    assert match.entry == "venue" and match.claim is not None and match.claim.about == "place"


def test_those_who_says_who_and_asks_nothing(matcher: Matcher) -> None:
    assert entries(matcher.match("Czy jest jakiś livestream dla tych, co nie dojadą?")) == [
        "streaming"]


def test_in_case_is_a_condition_not_a_question(matcher: Matcher) -> None:
    asked = [c.text for c in read("What's a contact e-mail for the forum, in case I have more "
                                  "questions?") if c.role == "question"]
    assert asked == ["What's a contact e-mail for the forum"]


def test_a_further_question_beside_an_answered_one_needs_a_lower_bar(matcher: Matcher) -> None:
    # each second clause alone falls short of the bar for a question on its own
    assert entries(matcher.match("Mam dwa pytania: czy będzie wifi dla uczestników? I czy "
                                 "organizator ma jakieś hotele z rabatem dla gości forum?")) == [
        "wifi", "accommodation"]
    assert entries(matcher.match("What are ICCSS's main projects? And who is this Ambassador "
                                 "Paturej that everyone keeps mentioning?")) == [
        "initiatives", "paturej"]
    # ... but a further clause with no clear entry is still not answered
    assert entries(matcher.match("Gdzie jest forum? I czy będzie fajnie?")) == ["venue"]


def test_a_request_to_us_beside_a_question_is_asked_too(matcher: Matcher) -> None:
    assert entries(matcher.match("Poproszę maila do osoby od spraw organizacyjnych. I jeszcze "
                                 "jedno: czy obowiązuje jakiś strój, garnitur czy luźniej?")) == [
        "contact_organisation", "dress_code"]
    # a wish about something else stays context
    assert entries(matcher.match("Chcę opowiedzieć uczniom o forum. Czym się zajmuje ICCSS?")
                   ) == ["organiser"]


def test_an_apology_just_before_the_question_names_no_topic(matcher: Matcher) -> None:
    match = matcher.match("Sorry my Polish is bad, kiedy jest forum?")
    assert entries(match) == ["date"]


def test_the_language_the_writer_says_they_are_weak_in_is_not_the_reply_language(
        matcher: Matcher) -> None:
    assert matcher.match("Sorry my Polish is bad, kiedy jest forum? The date please").lang == "en"
    assert matcher.match("I don't speak Polish, gdzie jest forum?").lang == "en"
    assert matcher.match("Słabo mówię po angielsku, where is the forum?").lang == "pl"


def test_one_word_without_a_question_mark_is_no_tag_to_confirm(matcher: Matcher) -> None:
    # "(wiem, wstyd)" says "I know", it asks nothing; the wish after it asks the date
    assert entries(matcher.match(
        "Mój szef dostał zaproszenie na forum, ale zaproszenie gdzieś nam zginęło w skrzynce "
        "(wiem, wstyd). Chciałam tylko potwierdzić datę. Dzięki!")) == ["date"]


def test_could_i_find_out_only_leads_into_the_question(with_facts: Matcher) -> None:
    assert entries(with_facts.match(
        "Nasz starosta dostał informację o forum i poprosił mnie, żebym zorientowała się w "
        "szczegółach. Czy mogłabym się dowiedzieć, w jakich dokładnie godzinach trwa forum?"
    )) == ["time"]


def test_a_relative_clause_inside_a_question_does_not_split_it(matcher: Matcher) -> None:
    assert [c.text for c in read("Czy ta konferencja w Kielcach, którą organizuje NATO, ma "
                                 "stronę?") if c.role == "question"] == [
        "Czy ta konferencja w Kielcach ma stronę"]
    assert entries(matcher.match("Czy to prawda, że ta organizacja, co robi forum w Kielcach, "
                                 "prowadzi też szkolenia dla druhów z OSP?")) == ["initiatives"]
    # ... but a question word after it opens a question of its own
    assert len([c for c in read("Gdzie jest forum, co tam będzie, i kto przyjdzie?")
                if c.role == "question"]) == 3


def test_an_apology_clause_asks_nothing_even_in_a_question(matcher: Matcher) -> None:
    assert entries(matcher.match("Two things, sorry if they're dumb: what exactly is MSPO, and "
                                 "what day of the week is the forum on?")) == ["mspo", "date"]


def test_a_tag_alone_confirms_what_was_said_not_who_said_it(matcher: Matcher) -> None:
    asked = [c.text for c in read("Kolega mówił, że wstęp na forum kosztuje 500 zł od osoby. "
                                  "Serio?") if c.role == "question"]
    assert asked == ["że wstęp na forum kosztuje 500 zł od osoby"]


def test_a_did_you_mean_that_names_the_next_edition_is_the_next_edition(
        with_facts: Matcher) -> None:
    assert entries(with_facts.match(
        "Forum już się odbyło, kiedy będzie następne takie wydarzenie?")) == ["next_edition"]


def test_a_relative_clause_after_the_question_asks_nothing(matcher: Matcher) -> None:
    asked = [c.text for c in read("Jak nazywała się ta inicjatywa, którą inaugurowano na forum?")
             if c.role == "question"]
    assert asked == ["Jak nazywała się ta inicjatywa"]
    # "który to dzień?" asks
    assert [c.text for c in read("Przypomni mi ktoś, który to dokładnie dzień września?")
            if c.role == "question"] == ["który to dokładnie dzień września"]


def test_a_listed_topic_may_say_the_event_and_be_qualified(matcher: Matcher) -> None:
    assert entries(matcher.match("what's the date of the forum and the exact address? need "
                                 "both for the visa application")) == ["date", "address"]
    assert entries(matcher.match("Podajcie proszę adres i numer sali")) == ["address", "hall"]


def test_all_the_contacts_are_no_rival_to_the_one_they_include(matcher: Matcher) -> None:
    assert entries(matcher.match("Who do I contact for organisational stuff?")) == [
        "contact_organisation"]
    assert entries(matcher.match("mail do kogos od organizacji plz")) == ["contact_organisation"]


def test_besides_please_give_me_is_a_request_of_its_own(matcher: Matcher) -> None:
    assert entries(matcher.match(
        "Dzien dobry, czy organizator zapewnia noclegi dla uczestnikow? Poza tym prosze o "
        "kontakt do osoby od spraw organizacyjnych, bo mam kilka pytan o delegacje.")) == [
        "accommodation", "contact_organisation"]


def test_a_journalist_asking_a_fact_in_a_sentence_of_its_own_gets_it_beside_the_handoff(
        matcher: Matcher) -> None:
    match = matcher.match("Dzien dobry, jestem dziennikarzem lokalnego dziennika. Jak uzyskac "
                          "akredytacje na forum? I o ktorej ono startuje?")
    assert match.kind == "handoff" and entries(match) == ["accreditation", "time"]
    # ... not a clause of the press request's own sentence
    match = matcher.match("photographer for a defence magazine - am i allowed to shoot photos "
                          "in the forum room and who do i clear that with?")
    assert match.kind == "handoff" and entries(match) == ["contact_media"]


def test_a_first_question_naming_nothing_asks_about_the_name_just_before(
        matcher: Matcher) -> None:
    assert entries(matcher.match(
        "We exhibit at MSPO every other year. I read something about a Social Resilience "
        "Market being inaugurated. What is that exactly?")) == ["resilience_market"]


def test_co_after_a_statement_is_a_relative_clause(matcher: Matcher) -> None:
    said = read("Zauwazylem ze forum jest tez dla sektora finansowego, co rzadko sie zdarza na "
                "takich imprezach. Ile to trwa?")
    assert [c.text for c in said if c.role == "question"] == ["Ile to trwa"]
    # ... but after "nie wiem" it is the question
    assert [c.text for c in read("Nie wiem, co zabrać na forum.") if c.role == "question"] == [
        "co zabrać na forum"]


def test_an_english_question_word_in_the_middle_is_no_relative_clause(matcher: Matcher) -> None:
    asked = [c.text for c in read("Since it's a virtual event, which platform are you using, "
                                  "Zoom or Teams?") if c.role == "question"]
    assert asked == ["which platform are you using"]
    assert [c.text for c in read("Is the forum, which is organised by ICCSS, free?")
            if c.role == "question"] == ["Is the forum free"]


def test_step_free_is_no_question_about_the_fee(with_facts: Matcher) -> None:
    assert entries(with_facts.match(
        "Hello, I'm an accessibility consultant and I use a wheelchair. I'm planning to attend "
        "on 10 September with a colleague. Which hall is the forum in, and is it step-free? The "
        "Targi Kielce grounds look huge on the map and I'd like to plan my route in advance."
    )) == ["hall"]


def test_a_question_explained_for_the_most_part_is_answered(matcher: Matcher) -> None:
    # an answer needs 42% of the question explained; these have 43-44%
    assert entries(matcher.match("czy moge przyjsc w dzinsach i marynarce czy trzeba garnitur")
                   ) == ["dress_code"]
    assert entries(matcher.match("Is need to pay something for participate in forum?")) == [
        "fee"]


def test_a_date_said_alone_to_confirm_is_this_events(with_facts: Matcher) -> None:
    match = with_facts.match("czyli piatek 10 wrzesnia o 14, tak?")
    assert match.entry == "date" and match.claim is not None and match.claim.weekday == 4
    # a month alone, heard of, is no date to correct ("coś o czerwcu" is the next edition)
    assert entries(with_facts.match("Będzie kolejne forum w 2027? Słyszałem coś o czerwcu.")) == [
        "next_edition"]


def test_a_day_and_month_with_a_dot_is_a_date_not_a_time(with_facts: Matcher) -> None:
    claim = find_claim("Please confirm: forum jest 10.09, start 14:00?", with_facts.facts)
    assert claim is not None and claim.about == "date" and claim.days == (10,)
    claim = find_claim("forum zaczyna się o 10.30?", with_facts.facts)
    assert claim is not None and claim.about == "time" and claim.hours == (10,)


def test_did_i_note_it_right_is_a_tag_to_confirm(with_facts: Matcher) -> None:
    match = with_facts.match("Adres to Zakładowa 1 w Kielcach, dobrze mam zapisane?")
    assert match.entry in ("address", "venue") and match.claim is not None
    match = with_facts.match("The first one was in Piaseczno in June 2025 with 400+ people — "
                             "have I got that right?")
    assert entries(match) == ["piaseczno"]


def test_and_will_after_a_statement_goes_on_with_it(matcher: Matcher) -> None:
    assert entries(matcher.match(
        "Quick bit of context: I'm arriving in Kielce by train in the morning and will have a "
        "few hours to kill, so I'm planning to take a taxi to the fair. What's the exact "
        "address I should give the driver?")) == ["address"]
    # "and would appreciate knowing..." asks
    assert entries(matcher.match(
        "Dear organisers, I work at the EU Delegation and would appreciate knowing which "
        "international partners will be represented at the Forum.")) == ["international"]


def test_have_a_great_week_asks_nothing(matcher: Matcher) -> None:
    assert entries(matcher.match("Where can I find the terms of participation? Many thanks, and "
                                 "have a great week!")) == ["terms"]


def test_a_wish_beside_a_question_of_its_sentence_only_leads_into_it(matcher: Matcher) -> None:
    assert entries(matcher.match("Służę w WOT, ale pytam prywatnie – ile trwa to forum?")) == [
        "duration"]
    # ... unless it is the question, offered an alternative
    assert entries(matcher.match("Need register before or can come direct?")) == [
        "registration"]
    # ... or asks us for something
    assert "contact_organisation" in entries(matcher.match(
        "Poproszę maila do osoby od spraw organizacyjnych, i czy jest parking?"))


def test_did_i_remember_right_and_who_runs_it_anyway(with_facts: Matcher) -> None:
    match = with_facts.match("Forum jest w Warszawie na Stadionie Narodowym, dobrze kojarzę?")
    assert match.entry in ("venue", "address") and match.claim is not None
    assert entries(with_facts.match("ej a kto w ogóle ogarnia ten cały event?")) == ["organiser"]


def test_the_contact_the_matter_needs_beats_every_contact_when_as_good(matcher: Matcher) -> None:
    assert entries(matcher.match("Kto jest contact person for organisational stuff?")) == [
        "contact_organisation"]


def test_transferring_a_place_is_a_substitute_not_a_transfer_to_the_venue(
        matcher: Matcher) -> None:
    assert entries(matcher.match("Hi, I registered but my director will go instead of me. Can I "
                                 "transfer my registration to him?")) == ["contact_organisation"]


def test_a_first_question_naming_nothing_we_know_asks_about_the_name_before(
        matcher: Matcher) -> None:
    match = matcher.match("Slyszalem o czyms takim jak Rynek Odpornosci Spolecznej, ktory ma byc "
                          "inaugurowany na forum. Czy to jakas platforma zakupowa?")
    assert entries(match) == ["resilience_market"]


def test_how_to_reach_a_contact_person_is_that_persons_contact(with_facts: Matcher) -> None:
    # named: "reach" is no way to the venue here
    assert entries(with_facts.match("how do I reach Mr Paturej?")) == ["contact_programme"]
    assert entries(with_facts.match("numer do pani Czerw?")) == ["contact_organisation"]
    assert entries(with_facts.match("mail do ambasadora?")) == ["contact_programme"]  # titles
    # pointed back to, in the question before or in what was said
    assert entries(with_facts.match("Who is Krzysztof Paturej and how can I reach him?")) == [
        "paturej", "contact_programme"]
    assert entries(with_facts.match(
        "Forum już się odbyło, a ja chciałbym nawiązać współpracę z ambasadorem Paturejem. "
        "Jaki jest jego e-mail?")) == ["contact_programme"]
    # a month is no surname, and a journalist's request stays with the press desk
    assert "contact_organisation" not in entries(with_facts.match(
        "Czy w czerwcu będzie kolejna edycja? Jaki jest mail?"))
    assert with_facts.match("Czy mogę umówić wywiad z ambasadorem Paturejem po forum?").kind == (
        "handoff")


def test_an_invitation_to_get_in_is_about_the_invitation(matcher: Matcher) -> None:
    assert entries(matcher.match("When is it, and do I need an invitation to get in?")) == [
        "date", "invitation"]


def test_this_events_day_in_another_year_is_a_wrong_date_to_correct(with_facts: Matcher) -> None:
    match = with_facts.match("my colleague says the forum is on 10 September 2025, right?")
    assert match.entry == "date" and match.claim is not None
    assert with_facts.facts is not None and match.claim.holds(with_facts.facts) is False
    right = with_facts.match("the forum is on 10 September 2026, right?")
    assert right.claim is not None and right.claim.holds(with_facts.facts) is True


def test_coverage_asked_for_is_the_media_contact_not_accreditation(matcher: Matcher) -> None:
    # "relacja" (a report, coverage) is no press pass: accreditation only when named
    match = matcher.match("Radio Kielce, chcielibyśmy zrobić relację na żywo z forum i krótką "
                          "rozmowę z organizatorem. Z kim się kontaktować?")
    assert (match.kind, entries(match)) == ("handoff", ["contact_media"])
    assert entries(matcher.match("Radio Kielce, potrzebujemy akredytacji na forum.")) == [
        "accreditation"]


def test_words_quoted_in_a_statement_are_one_thing_said(matcher: Matcher) -> None:
    match = matcher.match("Hi! I got an email from my manager with just the words 'IRLF – you "
                          "should go' and nothing else. Could you explain what this forum "
                          "actually is? Thanks!")
    assert entries(match) == ["about"]
    # the whole message in quotes is still the question
    assert entries(matcher.match("„Kiedy jest forum?”")) == ["date"]


def test_just_for_this_says_nothing_about_who_may_come(with_facts: Matcher) -> None:
    match = with_facts.match("Is it open to anyone or invitation only? I'd fly in just for this.")
    assert entries(match) == ["invitation"]
    assert with_facts.match("Forum jest tylko dla wojskowych?").claim is not None


def test_what_inside_a_statement_asks_nothing(matcher: Matcher) -> None:
    match = matcher.match("My commander asked me to look into this forum since CIMIC is "
                          "literally what we do all day. Is there an agenda published somewhere?")
    assert entries(match) == ["agenda"]
    # after a comma, or after "I wonder", it asks
    assert entries(matcher.match("gonna be at mspo anyway, what time's the forum thing")) == ["time"]
    assert entries(matcher.match("I wonder what time the forum starts.")) == ["time"]


def test_what_is_it_after_a_question_naming_something_asks_about_that(matcher: Matcher) -> None:
    assert entries(matcher.match("So did the forum launch that Social Resilience Market thing? "
                                 "What does that mean in practice?")) == ["resilience_market"]
    assert entries(matcher.match("Czy ten Rynek Odporności Społecznej został w końcu "
                                 "zainaugurowany? I co to właściwie jest?")) == ["resilience_market"]


def test_a_later_edition_at_mspo_is_corrected_it_is_the_first(with_facts: Matcher) -> None:
    for question in ["Słyszałem, że to już trzecia edycja tego forum na MSPO, to prawda?",
                     "It's already the 5th edition of this forum at MSPO, isn't it?"]:
        match = with_facts.match(question)
        assert match.entry == "first_time" and match.claim is not None, question
        assert with_facts.facts is not None and match.claim.holds(with_facts.facts) is False
    # the forum in Piaseczno came before: that is no claim about this one
    assert with_facts.match("To druga edycja tego forum z Piaseczna, prawda?").claim is None


def test_is_that_still_the_plan_confirms_the_sentence_before(with_facts: Matcher) -> None:
    # a full stop after a number ends the sentence when a capital follows
    match = with_facts.match("I was told it's a morning session, 9 to 1. Is that still the plan?")
    assert match.entry == "time" and match.claim is not None


def test_whether_it_is_paid_after_a_service_asks_about_that_service(matcher: Matcher) -> None:
    assert entries(matcher.match("Czy jest parking? Czy trzeba płacić?")) == ["parking"]
    assert entries(matcher.match("Czy jest catering? Płatny?")) == ["catering"]


def test_a_change_to_ones_registration_is_for_the_organisational_contact(
        matcher: Matcher) -> None:
    for question in ["nie będę 10.09, zły termin, proszę mnie skreślić",
                     "I made a typo in my surname in the registration form, how do I fix it?",
                     "need to change our registartion from 1 person to 2 ppl from our unit, how?",
                     "Zamiast mnie pojedzie kolega z wydziału. Czy trzeba go zgłaszać osobno?"]:
        assert entries(matcher.match(question)) == ["contact_organisation"], question
    # not the writer's own registration, or a question answered with confidence
    assert "contact_organisation" not in entries(matcher.match("Can the form be changed?"))
    assert "contact_organisation" not in entries(matcher.match(
        "Jestem zastępcą burmistrza. Jakie są warunki udziału?"))


def test_a_later_question_on_the_next_edition_leaves_this_ones_date(with_facts: Matcher) -> None:
    assert entries(with_facts.match("kiedy jest forum w tym roku i kiedy to następne w 2027?")) == [
        "date", "next_edition"]
    # a topic listed with it is asked about the same edition
    assert entries(with_facts.match("Kiedy i gdzie dokładnie będzie IFRE-EXPO?")) == [
        "next_edition"]


def test_population_and_translation_are_off_topic_whatever_country(matcher: Matcher) -> None:
    assert matcher.match("What's the population of Taiwan?").kind == "fallback"
    assert matcher.match("Can you translate this document into German for me?").kind == "fallback"


def test_a_polish_past_tense_reads_as_the_verb(matcher: Matcher) -> None:
    assert entries(matcher.match("ile kosztował udział w forum?")) == ["fee"]
    assert entries(matcher.match("kto prowadził to forum w Kielcach?")) == ["organiser"]
    # an English word is no Polish past tense ("formal" is no "form")
    assert "registration" not in entries(matcher.match("is the dress code formal?"))


def test_when_or_where_the_edition_before_was_is_that_editions(with_facts: Matcher) -> None:
    assert entries(with_facts.match(
        "Kiedy dokładnie odbyło się to pierwsze forum w Piasecznie?")) == ["piaseczno"]
    assert entries(with_facts.match("Kiedy jest forum?")) == ["date"]


def test_where_said_again_after_a_claim_belongs_to_it(with_facts: Matcher) -> None:
    match = with_facts.match("Rozumiem, że Forum odbywa się w Warszawie, w Pałacu Kultury i Nauki? "
                             "Szukam hotelu w pobliżu.")
    assert entries(match) == ["venue"] and match.claim is not None


def test_context_that_lifts_rivals_level_leaves_the_question_to_decide(matcher: Matcher) -> None:
    match = matcher.match("Hello! Sorry if this is a silly question. I saw the Forum is held at "
                          "MSPO — but what is MSPO actually? I'm not from the defence world")
    assert entries(match) == ["mspo"]
    assert entries(matcher.match("Dear, I am officer from Jordan civil defence. Is the forum "
                                 "have a cost for participate?")) == ["fee"]


def test_what_is_that_asks_about_what_was_said_just_before(matcher: Matcher) -> None:
    match = matcher.match("Dzien dobry, jestem soltysem we wsi pod Sandomierzem. U nas po powodzi "
                          "duzo sie mowi o przygotowaniu mieszkancow. Slyszalem ze ICCSS ma jakies "
                          "kluby odpornosci, co to takiego? Pozdrawiam")
    assert entries(match) == ["initiatives"]


def test_a_question_about_the_context_stays_among_what_it_was_close_to(matcher: Matcher) -> None:
    # "…przy targach rolniczych…": read at full weight, the hearsay pulled to parking,
    # which the question with its context was nowhere near
    match = matcher.match("Hej, kumpel mówi, że forum jest w Targach Kielce, ale przy targach "
                          "rolniczych, a nie na MSPO 🤔 to jak to w końcu jest?")
    assert match.kind == "suggest" and "venue" in match.suggestions


def test_a_short_quoted_name_stays_in_its_question(matcher: Matcher) -> None:
    match = matcher.match("Czytałem wypowiedź ambasadora, że odporność to inwestycja i rynek. Co "
                          "właściwie oznacza ten „Rynek Odporności Społecznej”, który jest "
                          "inaugurowany? Dziękuję")
    assert entries(match) == ["resilience_market"]
    # a question quoted is still reported, not asked
    assert [c.text for c in read("a on zawsze pyta „po co”. Jakie tematy?")
            if c.role == "question"] == ["Jakie tematy"]


def test_as_part_of_says_where_not_why(matcher: Matcher) -> None:
    assert entries(matcher.match("Is the forum happening as part of the MSPO exhibition itself "
                                 "or somewhere separate in town?")) == ["mspo"]
    assert entries(matcher.match("Did the forum take place as planned on 10 September?")) == [
        "date"]


def test_where_the_writer_works_is_no_claim_about_the_event(with_facts: Matcher) -> None:
    match = with_facts.match("Hello, a bit of background: I'm an intern at a civil society "
                             "foundation in Berlin and my boss wants me to write a short note about "
                             "the 'Bądź Gotów' thing she heard about — I think it's an app? Is it "
                             "connected to the forum organiser? Thanks so much!")
    assert "venue" not in entries(match) and match.claim is None


def test_a_bare_question_after_a_sentence_on_the_next_edition_asks_about_it(
        with_facts: Matcher) -> None:
    match = with_facts.match("Słyszałem, że to wrześniowe forum to dopiero początek czegoś "
                             "większego w 2027 roku. Co dokładnie jest planowane dalej i kiedy?")
    assert entries(match) == ["next_edition"]


def test_a_month_asked_about_points_nowhere_away(with_facts: Matcher) -> None:
    assert entries(with_facts.match("Następna edycja będzie znowu na MSPO, we wrześniu 2027?")) == [
        "next_edition"]
    # the writer's own plans are no claim about the event
    assert "date" not in entries(with_facts.match(
        "hi, plans changed, I won't be in Poland in September. pls remove me from the list"))
    # ... but a Polish "i" (and) opens no plans of the writer
    polish = with_facts.match("I czy forum jest 11 września?")
    assert entries(polish) == ["date"] and polish.claim is not None


def test_what_a_question_takes_as_given_is_checked(with_facts: Matcher) -> None:
    hall = with_facts.match("Skoro forum jest w hali E, to od którego wejścia będzie najbliżej?")
    assert entries(hall) == ["hall"] and hall.claim is not None  # no hall is announced
    evening = with_facts.match("As the forum runs in the evening after the fair closes, is there "
                               "a late bus back to Kraków?")
    assert entries(evening) == ["time"] and evening.claim is not None
    # "since" a year is no premise
    assert "date" not in entries(with_facts.match(
        "Is it true that Taiwan will be represented at the forum? We've been working with Polish "
        "partners since 2023 and our team would like to come."))


def test_read_alone_a_question_must_clear_the_bar_to_decide(matcher: Matcher) -> None:
    match = matcher.match("Szanowni Panstwo, jestem sekretarzem gminy. Od kilku miesiecy wdrazamy "
                          "nowa ustawe o ochronie ludnosci i obronie cywilnej i szczerze mowiac "
                          "brakuje nam praktycznej wiedzy. Wojt poprosil mnie zebym sprawdzila kto "
                          "organizuje to forum i czy to powazna instytucja. Bede wdzieczna za "
                          "informacje.")
    assert "about" not in entries(match)


def test_a_journalists_request_after_the_question_is_one_of_its_own(matcher: Matcher) -> None:
    match = matcher.match("TVP3 Kielce tutaj - o której zaczyna się forum? Chcemy przyjechać z "
                          "kamerą.")
    assert match.kind == "handoff" and entries(match) == ["contact_media", "time"]
    # "kameralne" (intimate) is no camera
    assert matcher.match("Czy to kameralne spotkanie?").kind != "handoff"


def test_when_inside_a_question_only_says_when_something_else_happens(matcher: Matcher) -> None:
    match = matcher.match("We are a delegation of 5 from Lithuania. Where exactly should we go "
                          "when we arrive at Targi Kielce?")
    assert entries(match) != ["date"] and match.kind == "answer"
    # ... but "and when" asks it
    assert entries(matcher.match("where and when is it?")) == ["venue", "date"]


def test_czy_after_i_czy_offers_an_alternative(matcher: Matcher) -> None:
    assert entries(matcher.match("Czy będzie tłumaczenie na angielski? I czy trzeba się wcześniej "
                                 "rejestrować, czy można przyjść z marszu?")) == [
        "language", "registration"]


def test_a_co_organiser_named_is_a_claim_about_the_organiser(with_facts: Matcher) -> None:
    match = with_facts.match("czy MON jest współorganizatorem?")
    assert entries(match) == ["organiser"] and match.claim is not None


_ANSWER_ALL = """
import json, sys, tomllib
from pathlib import Path
from bot.config import Config
from bot.event import Event, facts_of
from faq.knowledge import KnowledgeBase
from faq.matcher import Matcher
m = Matcher(KnowledgeBase.load(), facts=facts_of(Event.load(Config().event_file)))
answers = []
for path in sorted(Path("tests/data").glob("*questions*.toml")):
    for case in tomllib.loads(path.read_text(encoding="utf-8"))["q"]:
        match = m.match(case["text"])
        answers.append([match.kind, match.entries, match.lang, match.suggestions])
print(json.dumps(answers))
"""


def test_the_same_message_gets_the_same_answer_after_a_restart() -> None:
    # Python orders sets differently in each process (hash randomisation): an exact tie
    # between two entries was once broken by that order, so a guest could get another
    # answer after the bot restarted.
    runs = []
    for seed in ("0", "1"):
        done = subprocess.run([sys.executable, "-c", _ANSWER_ALL], capture_output=True,
                              text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        runs.append(json.loads(done.stdout))
    assert len(runs[0]) > 4000
    assert [i for i, (a, b) in enumerate(zip(*runs, strict=True)) if a != b] == []


def test_a_group_of_pupils_free_for_ngos_and_ministers(matcher: Matcher) -> None:
    assert entries(matcher.match("Czy mogę przyjechać z grupą uczniów na forum?")) == ["invitation"]
    assert entries(matcher.match("Is the forum free for NGOs?")) == ["fee"]
    assert entries(matcher.match("Are there any ministers confirmed?")) == ["agenda"]


def test_the_nearest_station_listed_beside_the_address_is_answered_too(matcher: Matcher) -> None:
    for question in ["Hello, could you tell me the exact address and the nearest train station?",
                     "adres i najbliższa stacja kolejowa?"]:
        assert entries(matcher.match(question)) == ["address", "directions"], question



def test_today_or_tomorrow_says_when_the_guest_asks_not_what(with_facts: Matcher) -> None:
    # "jutro" is a word of the weather examples: it sent "o której jutro?" to "I don't
    # answer that" and "Where is the forum today?" to the off-topic examples.
    assert entries(with_facts.match("siema, o ktorej to jutro?")) == ["time"]
    assert entries(with_facts.match("Where is the forum today?")) == ["venue"]
    assert entries(with_facts.match("Gdzie i o której jest jutro forum?")) == ["venue", "time"]
    # beside the event's name alone it asks the date
    for question in ["czy forum jest jutro?", "is it today?"]:
        assert entries(with_facts.match(question)) == ["date"], question
    for weather in ["jaka będzie jutro pogoda?", "weather tomorrow in Kielce?"]:
        assert with_facts.match(weather).kind == "fallback", weather


def test_a_question_word_after_a_statement_is_what_it_asks(with_facts: Matcher) -> None:
    # No question mark: the clause a question word opens is asked, not "before tomorrow"
    # (which read alone was the edition before, Piaseczno).
    match = with_facts.match("Hello! I'm an intern at a city hall and my boss asked me to "
                             "find out, before tomorrow, who we should contact with "
                             "organisational questions.")
    assert entries(match)[:1] in (["contact_organisation"], ["contacts"])
    assert "piaseczno" not in entries(match)


def test_what_i_read_about_the_forum_is_a_claim_to_correct(with_facts: Matcher) -> None:
    # "I read the forum is in Warsaw" said beside "which part of Warsaw?": the place is
    # the answer, not "I don't answer questions about other places".
    match = with_facts.match("I read the forum is in Warsaw during MSPO — which part of Warsaw?")
    assert entries(match) == ["venue"] and match.claim is not None


def test_what_it_is_asks_about_the_thing_named_before_even_typed_in_lower_case(
        with_facts: Matcher) -> None:
    # the second question asks what the Resilience Market is, not what the forum is
    for question in ["slyszalam ze bedzie jakis rynek odpornosci?? o co w tym chodzi",
                     "What is this 'Resilience Market'? Can you explain with simple words?"]:
        assert entries(with_facts.match(question)) == ["resilience_market"], question
    # beside a question on the forum itself it still asks what the forum is
    assert entries(with_facts.match("Gdzie jest forum? I o co w tym chodzi?")) == [
        "venue", "about"]


def test_a_documentary_crew_help_with_a_cv_and_hajsu(matcher: Matcher) -> None:
    # a film crew with cameras is the press desk's, not the invitation
    crew = matcher.match("We're a documentary crew, can we bring cameras into the forum?")
    assert (crew.kind, crew.entry) == ("handoff", "contact_media")
    # writing someone's CV is nothing we answer, not a contact to write to
    for question in ["can you help me write my CV?", "Can you help me write a cover letter?"]:
        assert matcher.match(question).kind == "fallback", question
    # "hajs" (money) in any case form is the fee
    assert entries(matcher.match("ej a ile hajsu trzeba wylozyc zeby wejsc")) == ["fee"]


def test_a_place_to_eat_in_another_city_is_not_a_premise_about_the_forum(
        with_facts: Matcher) -> None:
    assert with_facts.match("Any good sushi place in Warsaw?").kind == "fallback"
    for claim in ["Is the forum in Warsaw?", "Does the forum take place in Warsaw?",
                  "Czy forum odbędzie się w Warszawie?"]:
        match = with_facts.match(claim)
        assert entries(match) == ["venue"] and match.claim is not None, claim


def test_explain_what_it_is_asks_about_what_the_writer_just_named(with_facts: Matcher) -> None:
    # "it" is the Resilience Market named in the sentence before, which says who the
    # writer is too: not the forum in general
    question = ("Dear team, I represent a civil defence foundation from Taipei. We're very "
                "interested in the resilience market idea you're launching. Could you "
                "explain what it is?")
    assert entries(with_facts.match(question)) == ["resilience_market"]
    assert entries(with_facts.match("Could you explain what it is?")) == ["about"]
    # a poster of the forum seen at the fair: "it" is the forum, not how to walk in
    seen = with_facts.match("Hey! Student from Warsaw here, studying crisis management. I'm "
                            "walking around the fair and just saw a poster about IRLF. What "
                            "is it exactly?")
    assert entries(seen) == ["about"]


def test_what_they_will_talk_about_is_the_topics(matcher: Matcher) -> None:
    assert entries(matcher.match("o czym konkretnie będzie rozmowa na forum?")) == ["topics"]


def test_a_question_after_a_few_words_of_lead_in_is_asked(matcher: Matcher) -> None:
    # "In a nutshell" before "what is IRLF" left the first question unasked: only the
    # second was answered
    match = matcher.match("In a nutshell what is IRLF, and what makes it a first?")
    assert entries(match) == ["about", "first_time"]


def test_of_two_contacts_offered_as_alternatives_the_one_named_best(with_facts: Matcher) -> None:
    match = with_facts.match("Czy ambasador Paturej to jedyny kontakt, czy jest ktoś od spraw "
                             "organizacyjnych?")
    assert entries(match) == ["contact_organisation"]
    # an alternative that is no other contact still asks one thing
    assert entries(with_facts.match("Czy mogę przyjść, czy trzeba zaproszenia?")) == [
        "invitation"]


def test_the_website_beside_the_media_contact_is_given_too(with_facts: Matcher) -> None:
    match = with_facts.match("can u send me the website and also who handles media stuff?")
    assert sorted(entries(match)) == ["contact_media", "website"]


def test_dobrze_mowi_asks_to_confirm_what_was_said(with_facts: Matcher) -> None:
    match = with_facts.match("Kolega mówi, że forum jest 5 czerwca. Dobrze mówi?")
    assert entries(match) == ["date"] and match.claim is not None


def test_claims_about_the_organiser_and_a_heard_time_are_corrected(with_facts: Matcher) -> None:
    run_by = with_facts.match("So the forum is run by the European Commission?")
    assert entries(run_by) == ["organiser"] and run_by.claim is not None
    heard = with_facts.match("I heard it's a morning session, 9 to 11?")
    assert entries(heard) == ["time"] and heard.claim is not None


def test_a_summary_after_the_event_is_on_the_website_and_who_ran_it_the_organiser(
        matcher: Matcher) -> None:
    for question in ["Has a summary or report been published after the forum?",
                     "przegapilem forum, jest gdzies jakies podsumowanie albo relacja?"]:
        assert entries(matcher.match(question)) == ["website"], question
    assert entries(matcher.match("Which organisation ran the forum?")) == ["organiser"]


def test_organisational_matters_are_the_organisational_contact(matcher: Matcher) -> None:
    # "organisational" stemmed to "organis", the organiser's stem: every contact won
    for question in ["whats the website and who do i email about organisational stuff",
                     "Hello, potrzebuję kontakt do osoby od organizational matters, please"]:
        assert "contact_organisation" in entries(matcher.match(question)), question
        assert "contacts" not in entries(matcher.match(question)), question


def test_a_guest_already_at_the_fair_asking_where_gets_the_hall(with_facts: Matcher) -> None:
    # the city and the street are no help to someone lost between the halls
    for question in ["gdzie to jest bo sie zgubilem na tych targach xD",
                     "sorry, gdzie jest to forum? jestem już na targach ale nie mogę go find",
                     "I'm at the fair already, where's the forum?"]:
        assert entries(with_facts.match(question)) == ["hall"], question
    assert entries(with_facts.match("Gdzie jest forum?")) == ["venue"]


def test_a_quoted_name_beside_a_question_of_its_own_does_not_take_it_over(
        with_facts: Matcher) -> None:
    # the app only says where the guest saw the forum; they ask when it starts
    question = ("Mam na telefonie apkę „Bądź Gotów” i tam wyskoczyło info o forum – o której "
                "się zaczyna?")
    assert entries(with_facts.match(question)) == ["time"]
    # ... but "it" is the thing quoted
    about_it = ("I'm an intern and my boss wants a note about the 'Bądź Gotów' thing she heard "
                "about — I think it's an app? Is it connected to the forum organiser?")
    assert entries(with_facts.match(about_it))[:1] == ["initiatives"]


def test_polish_or_international_is_who_comes_not_the_language(matcher: Matcher) -> None:
    for question in ["Is it purely Polish or really international?",
                     "It's for Polish citizens only, correct? I'm from Romania."]:
        assert entries(matcher.match(question)) == ["international"], question
    assert entries(matcher.match("Is the forum in Polish?")) == ["language"]
    assert matcher.match("How do I apply for a job in the Polish Armed Forces?").kind == "fallback"


def test_how_it_went_and_who_spoke_after_the_event(matcher: Matcher) -> None:
    assert entries(matcher.match("So how did the resilience forum at MSPO go?")) == ["about"]
    assert entries(matcher.match("Who spoke at the forum?")) == ["agenda"]


def test_who_else_from_abroad_is_international_participation(matcher: Matcher) -> None:
    assert entries(matcher.match("Our mayor would like to know who else from abroad will be "
                                 "there?")) == ["international"]


def test_what_a_named_thing_is_after_another_question_is_answered_too(
        with_facts: Matcher) -> None:
    match = with_facts.match("What date is it on? Also, what's MSPO — I've never heard of it.")
    assert entries(match) == ["date", "mspo"]


def test_two_contacts_each_asked_for_are_both_given(with_facts: Matcher) -> None:
    match = with_facts.match("Kto jest kontaktem w sprawach programu, a kto w sprawach "
                             "organizacyjnych?")
    assert entries(match) == ["contact_programme", "contact_organisation"]
    # one matter, one contact
    assert len(entries(with_facts.match("Chcemy zaprezentować projekt. Do kogo pisać?"))) == 1


def test_a_price_in_zloty_ends_its_sentence(matcher: Matcher) -> None:
    found = read("Bilet na forum kosztuje chyba 500 zł. Czy można zapłacić przelewem?")
    assert len({c.sentence for c in found}) == 2
    assert entries(matcher.match("Bilet na forum kosztuje chyba 500 zł. Czy można zapłacić "
                                 "przelewem?")) == ["fee"]
    # "ul." before a street's name is no end
    assert len({c.sentence for c in read("Jak dojechać na ul. Zakładową 1?")}) == 1


def test_a_place_after_the_article_is_a_claim(with_facts: Matcher) -> None:
    match = with_facts.match("I assume the forum is at the Poznań fairgrounds like most big "
                             "expos?")
    assert entries(match) == ["venue"] and match.claim is not None


def test_runs_all_week_is_how_long_not_who(with_facts: Matcher) -> None:
    week = with_facts.match("The forum runs the whole MSPO week, 8 to 11 Sept, yes?")
    assert entries(week) == ["date"] and week.claim is not None
    for who in ["ICCSS runs the forum, right?", "So the forum is run by NATO?"]:
        assert entries(with_facts.match(who)) == ["organiser"], who


def test_a_one_off_asks_about_the_next_edition(with_facts: Matcher) -> None:
    match = with_facts.match("After this there's nothing else planned, it's a one-off, right?")
    assert entries(match) == ["next_edition"]


def test_na_co_dzien_is_every_day_not_a_question(with_facts: Matcher) -> None:
    match = with_facts.match("Czołem. Jestem żołnierzem WOT, na co dzień pracuję w logistyce, "
                             "a w weekendy szkolenia. O której to się zaczyna?")
    assert entries(match) == ["time"]


def test_money_is_the_fee(matcher: Matcher) -> None:
    assert entries(matcher.match("Is it costing money for participate? Our organisation have "
                                 "small budget")) == ["fee"]


def test_i_would_like_to_know_the_time_is_a_question(matcher: Matcher) -> None:
    match = matcher.match("I'd like to know the time of the forum and whether there's a fee.")
    assert entries(match) == ["time", "fee"]


def test_a_request_for_the_date_and_the_exact_address_gets_both(matcher: Matcher) -> None:
    match = matcher.match("Proszę o informację o dacie forum oraz o dokładnym adresie.")
    assert entries(match) == ["date", "address"]


def test_since_a_wrong_organiser_is_a_premise_to_correct(with_facts: Matcher) -> None:
    match = with_facts.match("Since NATO is organising the forum, I assume I should register "
                             "through NATO channels? Please confirm.")
    assert entries(match)[:1] == ["organiser"] and match.claim is not None


def test_slang_for_give_us_the_link_to_sign_up(matcher: Matcher) -> None:
    assert entries(matcher.match("dawajcie linka do zapisów, szybko bo zapomnę 🙏")) == [
        "registration"]


def test_registering_or_turning_up_at_the_door(with_facts: Matcher) -> None:
    assert entries(with_facts.match("Rejestracja jest na miejscu przy wejściu do hali, tak?")) == [
        "registration"]
    assert entries(with_facts.match("Since it's open to everybody I can just show up at the "
                                    "door, right?")) == ["invitation"]


def test_who_someone_is_and_his_email_gives_his_contact(with_facts: Matcher) -> None:
    match = with_facts.match("Kim jest ambasador Paturej i jaki ma adres mailowy?")
    assert entries(match) == ["paturej", "contact_programme"]


def test_last_thursday_says_when_not_what(with_facts: Matcher) -> None:
    assert entries(with_facts.match("Who organised the forum last Thursday?")) == ["organiser"]
    # a weekday alone still asks or states the date
    assert entries(with_facts.match("Is the forum on Thursday?")) == ["date"]


def test_organise_in_any_spelling_asks_the_organiser(matcher: Matcher) -> None:
    # "organise" stemmed to "organi" (the Polish stemmer dropped its "e"), a word no entry has
    for question in ("Who is organise this forum, it is government or private?",
                     "Who organises the forum?", "who organize this forum?"):
        assert entries(matcher.match(question)) == ["organiser"], question


def test_a_wrong_hour_typed_9am_is_a_premise_to_correct(with_facts: Matcher) -> None:
    # "9am" was no word the knowledge base knows, and "the 10th" was read as 10 o'clock
    match = with_facts.match("so it starts at 9am on the 10th?")
    assert entries(match) == ["time"] and match.claim is not None
    assert match.claim.hours == (9,)


def test_a_broken_form_who_thought_it_up_and_the_programme_online(matcher: Matcher) -> None:
    expected = {
        "How do I register, and who do I contact if the form doesn't work?":
            ["registration", "contact_organisation"],
        "kto to organizuje i do kogo pisac jak formularz nie dziala?":
            ["organiser", "contact_organisation"],
        "co to jest ten rynek odpornosci spolecznej i kto to wymyslil?":
            ["resilience_market", "organiser"],
        "o ktorej start i czy jest gdzies program w necie?": ["time", "agenda"],
    }
    assert {q: entries(matcher.match(q)) for q in expected} == expected


def test_how_to_arrange_a_requested_interview_is_for_the_press_desk(matcher: Matcher) -> None:
    # it borrowed the request's words without its being a press request: Paturej's entry
    match = matcher.match("Dzien dobry, jestem dziennikarzem Echa Dnia. Chcialbym prosic o "
                          "wywiad z ambasadorem Paturejem po forum. Jak to zalatwic?")
    assert match.kind == "handoff" and entries(match) == ["contact_media"]
    # ... and a request before a question that names nothing of its own
    match = matcher.match("Redakcja Radia Kielce. Chcemy zrobić wywiad z ambasadorem Paturejem "
                          "w dniu forum. Z kim to uzgodnić?")
    assert match.kind == "handoff" and entries(match) == ["contact_media"]


def test_cancelling_is_told_to_the_organisers_not_signed_up_for(matcher: Matcher) -> None:
    expected = {  # "gdzie to zgłosić" got registration; "zapisałam się" said no one withdraws
        "Burmistrz sie rozchorowal, musimy odwolac jego udzial w forum. Gdzie to zglosic?":
            ["contact_organisation"],
        "zapisalam sie ale dostalam dyzur w szpitalu, jak sie wypisac?": ["contact_organisation"],
        "sorry my flight got cancelled, cant make it to kielce. how do i unregister?":
            ["contact_organisation"],
    }
    assert {q: entries(matcher.match(q)) for q in expected} == expected
    assert entries(matcher.match("Gdzie się zgłosić na forum?")) == ["registration"]


def test_what_a_thing_comes_with_is_not_a_list_of_questions(matcher: Matcher) -> None:
    # "…with the schedule and maps" was split, and "maps" answered with the address
    assert entries(matcher.match("Is there an official app for the forum with the schedule "
                                 "and maps?")) == ["event_app"]


def test_can_you_tell_me_after_a_question_asks_nothing_more(matcher: Matcher) -> None:
    # "can u tell me" was read as a question of its own ("can I come?": the invitation)
    assert entries(matcher.match("hey, im a volunteer at the MSPO info desk, a visitor is "
                                 "asking me how long the forum lasts. can u tell me?")) == [
        "duration"]


def test_correct_as_a_tag_corrects_no_registration(matcher: Matcher) -> None:
    # "correct?" was read as "correct my registration": the organisational contact
    match = matcher.match("I heard the forum is open to the public and no registration is "
                          "needed - correct?")
    assert "contact_organisation" not in [*entries(match), *match.suggestions]
    assert entries(matcher.match("I need to correct my registration, who do I write to?")) == [
        "contact_organisation"]


def test_registering_several_people_is_registration_not_a_head_count(matcher: Matcher) -> None:
    # "osoby" pointed only to the off-topic head count ("ile osób będzie?"): the message fell back
    assert entries(matcher.match("jak zarejestrowac 4 osoby ze starostwa?")) == ["registration"]
    assert entries(matcher.match("ile osób będzie na forum?")) == []


def test_what_it_consists_of_asks_about_the_name_said_before(matcher: Matcher) -> None:
    # "Na czym to polega?" was read as a question about the forum ("na czym polega forum")
    assert entries(matcher.match("Słyszałem o Rynku Odporności Społecznej, który ma być "
                                 "otwarty na forum. Na czym to właściwie polega?")) == [
        "resilience_market"]
    assert entries(matcher.match("Byłem w Piasecznie w zeszłym roku. Na czym polega Rynek "
                                 "Odporności Społecznej?")) == ["resilience_market"]


def test_not_coming_in_words_of_its_own_is_for_the_organisers(matcher: Matcher) -> None:
    # "can't make it" was no cancelling: "whom should I tell?" got whom the forum is for
    expected = {
        "Hi, I'm sick and can't make it tomorrow, whom should I tell?": ["contact_organisation"],
        "nie dam rady przyjechac w czwartek, co mam zrobic?": ["contact_organisation"],
        # a transfer of the invitation, a double registration to remove
        "czy moge przepisac swoje zaproszenie na kolezanke z zespolu?": ["contact_organisation"],
        "zapisalam sie dwa razy przez pomylke, jak usunac jedno zgloszenie?": [
            "contact_organisation"],
    }
    assert {q: entries(matcher.match(q)) for q in expected} == expected
    assert entries(matcher.match("I can't make it to Kielce, will there be a stream?")) == [
        "streaming"]
    assert entries(matcher.match("Who is the forum for?")) == ["audience"]


def test_is_this_correct_asks_to_confirm_what_was_said(with_facts: Matcher) -> None:
    # "is this correct" was no tag: "correct" read as correcting one's registration
    match = with_facts.match("The forum is in Poznań, is this correct?")
    assert entries(match) == ["venue"] and match.claim is not None


def test_a_formal_letter_asks_what_it_requests_not_its_other_lines(with_facts: Matcher) -> None:
    # every line was read as a question: "na Forum w dniu 10 września" added the date
    letter = ("Szanowni Państwo,\nzwracam się z prośbą o akredytację dla ekipy Radia Kielce "
              "(2 osoby: reporter i realizator) na Forum w dniu 10 września.\nZ poważaniem\n"
              "Jan Kowalski")
    match = with_facts.match(letter)
    assert (match.kind, entries(match)) == ("handoff", ["accreditation"])


def test_this_years_edition_beside_last_years_is_this_one(with_facts: Matcher) -> None:
    # "Gdzie będzie tegoroczne?" after "byliśmy w zeszłym roku" got the Piaseczno edition
    assert entries(with_facts.match("Jestem z Piaseczna, bylismy na forum w zeszlym roku. "
                                    "Gdzie bedzie tegoroczne?")) == ["venue"]


def test_the_events_own_city_and_month_say_which_event_not_what_is_asked(
        with_facts: Matcher) -> None:
    # "september" pulled the question to the date, as strongly as "talk about" to the topics
    assert entries(with_facts.match("what did they actually talk about at IRLF back in "
                                    "september?")) == ["topics"]
    assert entries(with_facts.match("When in September is the forum?")) == ["date"]
    assert entries(with_facts.match("Jaka będzie pogoda w Kielcach w przyszły weekend?")) == []


def test_wifi_in_the_room_and_parking_for_visitors_beside_another_question(
        matcher: Matcher) -> None:
    # "room" pointed only to the head count, "visitors" only to the exhibitors: both fell back
    assert entries(matcher.match("what time does it start + is there wifi in the room?")) == [
        "time", "wifi"]
    assert entries(matcher.match("What's the address, and is there parking for visitors?")) == [
        "address", "parking"]
    assert entries(matcher.match("jest wifi na sali?")) == ["wifi"]


def test_what_follows_from_a_statement_is_asked_apart_from_it(with_facts: Matcher) -> None:
    # one clause with "więc" inside: the statement's words sank the question (fallback)
    assert entries(with_facts.match("forum trwa caly dzien do 18 wiec moge przyjsc dopiero "
                                    "po poludniu?")) == ["time"]


def test_a_question_that_only_says_do_it_is_the_one_naming_what(matcher: Matcher) -> None:
    # "where to do it" was answered with the venue beside the registration form
    assert entries(matcher.match("My director asked me to register us for the forum, but I "
                                 "don't find where to do it. Where is the registration form?")) == [
        "registration"]
    assert entries(matcher.match("Where is it held and how do I register?")) == [
        "venue", "registration"]


def test_materials_after_the_event_are_on_the_website(matcher: Matcher) -> None:
    # "materiały albo relację" fell back: the website is where the forum publishes
    assert entries(matcher.match("Jak poszło forum? Gdzie można znaleźć jakieś materiały "
                                 "albo relację?")) == ["website"]

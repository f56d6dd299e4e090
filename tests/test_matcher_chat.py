"""The chat-style labelled sets: messages as guests type them — greetings and
introductions, slang, mixed languages, wrong premises, two questions. Each was written by
someone who had seen only the announcement, never the knowledge base.

- tests/data/chat_questions.toml (355): its `tune` split was used to improve the matcher;
  its `holdout` split was only measured.
- tests/data/chat_questions_a.toml (220, set A): studied after its first measurement.
- tests/data/chat_questions_b.toml (220, set B): measured only in the second round,
  studied in the third; it keeps a floor at the level reached.
- tests/data/chat_questions_c.toml (240, set C): written for the third round; never
  studied, only measured.
- tests/data/chat_questions_d.toml (240, set D) and chat_questions_e.toml (260, set E):
  written for the third round, measured first, then studied.
- tests/data/chat_questions_f.toml and chat_questions_g.toml (200 each, sets F and G: 160
  chat-style and 40 plain): written at the end of the third round; never studied, only
  measured.
- tests/data/chat_questions_h.toml and chat_questions_i.toml (200 each, sets H and I, the
  same shape; I with more typos, officialese and non-native English): written at the start
  of the fourth round and measured first; H was then studied, I only measured.
- tests/data/chat_questions_j.toml (200, set J, the same shape) and chat_questions_k.toml
  (150, set K: typos, no Polish letters, officialese): written during the fourth round and
  measured first; K was then studied, J only measured.
- tests/data/chat_questions_l.toml (160, set L): only the classes the measured sets miss
  most (after the event, long chatty messages, cancelling, two questions); measured first,
  then studied.
- tests/data/chat_questions_n.toml (160, set N): the other chat classes (premises, mixed
  languages, non-native writing, entities, what was not announced, chatty); measured first,
  then studied.
- tests/data/chat_questions_o.toml and chat_questions_p.toml (200 each, sets O and P, the
  hidden set's shape): written late in the fourth round, measured first, then studied.
- tests/data/chat_questions_m.toml (200, set M, the hidden set's shape): written last in the
  fourth round; never studied, only measured.
- tests/data/chat_questions_q.toml and chat_questions_r.toml (200 each, sets Q and R, the
  hidden set's shape): written at the start of the fifth round, measured with its first
  code, then only at its end; never studied.
- tests/data/chat_questions_s.toml, _t and _u (200 each, sets S, T and U, the hidden set's
  shape; T with phone typing and non-native English, U with long messages and hearsay):
  written at the start of the sixth round and measured first; S and T were then studied, U
  only measured. (A plain "who is the media contact?" was labelled an answer by the writers
  of sets S to Y; it is a handoff here, as in every other set.)
- tests/data/chat_questions_v.toml (190, set V: after the event, wrong premises, long chatty
  messages, two questions, mixed languages) and chat_questions_w.toml (200, set W, the
  hidden set's shape: guests at the fair on their phones): written during the sixth round,
  measured first, then studied.
- tests/data/chat_questions_x.toml and chat_questions_y.toml (200 each, the hidden set's
  shape; Y with indirect questions and two-sentence messages): written late in the sixth
  round and measured first; Y was then studied, X only measured.
- tests/data/chat_questions_z.toml and chat_questions_aa.toml (200 each, the hidden set's
  shape; Z typed on phones at the fair, mostly Polish without Polish letters; AA formal and
  non-native messages from foreign partners and officials): written at the start of the
  seventh round and measured first; Z was then studied, AA only measured.
- tests/data/chat_questions_ab.toml (200, set AB, the hidden set's shape: hurried guests
  before and on the day, formal letters, foreign partners): written at the start of the
  eighth round and measured first, then studied. Two of its labels listed alternatives in
  `also` (agenda or website; the organisational contact or all contacts): they name the one
  needed and accept the other.
- tests/data/chat_questions_ac.toml (200, set AC, the hidden set's shape: every kind of
  guest): written late in the eighth round, after its changes for AB; never studied, only
  measured. Four of its labels name two entries in `also`; they are kept as written.
- Sets AD to AK: see bench/matcher.py. tests/data/chat_questions_al.toml and _am (200
  each, sets AL and AM, the hidden set's shape): written at the start of the eleventh round,
  measured before the chat model was built; never studied, only measured. _an and _ao (200
  each, sets AN and AO, the same shape): written after it; measured only.

The chat model (faq/classifier.py) is trained on the studied sets only (tests/labelled.py,
STUDIED) and the knowledge base's phrasings; the measured sets are messages it never saw.

Every message of the tune split and set A must be answered right, except the known
failures below (each with its reason). The other sets keep an accuracy floor and a ceiling
on confidently wrong answers at the level reached, never a check per message
(tests/labelled.py says what "right" and "confidently wrong" are).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio

from bot.assistant import Assistant
from bot.clock import ManualClock
from bot.config import Config
from bot.service import open_services
from tests.conftest import WARSAW
from tests.labelled import judge, load

CHAT = load("chat_questions.toml")
TUNE = [q for q in CHAT if q["split"] == "tune"]
HOLDOUT = [q for q in CHAT if q["split"] == "holdout"]
SET_A = load("chat_questions_a.toml")
SET_B = load("chat_questions_b.toml")
SET_C = load("chat_questions_c.toml")
SET_D = load("chat_questions_d.toml")
SET_E = load("chat_questions_e.toml")
SET_F = load("chat_questions_f.toml")
SET_G = load("chat_questions_g.toml")
SET_H = load("chat_questions_h.toml")
SET_I = load("chat_questions_i.toml")
SET_J = load("chat_questions_j.toml")
SET_K = load("chat_questions_k.toml")
SET_L = load("chat_questions_l.toml")
SET_N = load("chat_questions_n.toml")
SET_O = load("chat_questions_o.toml")
SET_P = load("chat_questions_p.toml")
SET_M = load("chat_questions_m.toml")
SET_Q = load("chat_questions_q.toml")
SET_R = load("chat_questions_r.toml")
SET_S = load("chat_questions_s.toml")
SET_T = load("chat_questions_t.toml")
SET_U = load("chat_questions_u.toml")
SET_V = load("chat_questions_v.toml")
SET_W = load("chat_questions_w.toml")
SET_X = load("chat_questions_x.toml")
SET_Y = load("chat_questions_y.toml")
SET_Z = load("chat_questions_z.toml")
SET_AA = load("chat_questions_aa.toml")
SET_AB = load("chat_questions_ab.toml")
SET_AC = load("chat_questions_ac.toml")
SET_AD = load("chat_questions_ad.toml")
SET_AE = load("chat_questions_ae.toml")
SET_AF = load("chat_questions_af.toml")
SET_AG = load("chat_questions_ag.toml")
SET_AH = load("chat_questions_ah.toml")
SET_AI = load("chat_questions_ai.toml")
SET_AJ = load("chat_questions_aj.toml")
SET_AK = load("chat_questions_ak.toml")
SET_AL = load("chat_questions_al.toml")
SET_AM = load("chat_questions_am.toml")
SET_AN = load("chat_questions_an.toml")
SET_AO = load("chat_questions_ao.toml")
CLOCKS = {"before": datetime(2026, 9, 3, 12, 0, tzinfo=WARSAW),
          "after": datetime(2026, 12, 2, 12, 0, tzinfo=WARSAW)}
# (set, share right at least, confidently wrong at most): what was reached, with a clock
# before the event and after it (first sight in brackets).
FLOORS = {
    "holdout": (HOLDOUT, 109 / 114, 2),  # 95.6%, 2 (50.0% before the first round)
    "set B": (SET_B, 219 / 220, 1),  # 99.5%, 1 (84.5%, 15 at first sight)
    # (C was 92.5%, 12 before a journalist's request before the question became one of its
    # own: one message of C gains registration beside accreditation; M gained one)
    "set C": (SET_C, 226 / 240, 11),  # 94.2%, 11 (85.0%, 20 at first sight)
    "set D": (SET_D, 235 / 240, 5),  # 97.9%, 5 (72.9%, 42 at first sight)
    "set E": (SET_E, 256 / 260, 4),  # 98.5%, 4 (79.2%, 38 at first sight)
    # (F was 94.0%, 9 before "…cancel…" beside the writer went to the organisational
    # contact: one message of F is read so and labelled otherwise; X and AA gained one each)
    "set F": (SET_F, 190 / 200, 9),  # 95.0%, 9 (92.5%, 11 at first sight)
    "set G": (SET_G, 194 / 200, 5),  # 97.0%, 5 (93.5%, 11 at first sight)
    "set H": (SET_H, 195 / 200, 4),  # 97.5%, 4 (82.0%, 23 at first sight)
    "set I": (SET_I, 186 / 200, 12),  # 93.0%, 12 (85.5%, 18 at first sight)
    "set J": (SET_J, 185 / 200, 12),  # 92.5%, 12 (85.0%, 18 at first sight)
    "set K": (SET_K, 149 / 150, 0),  # 99.3%, 0 (90.7%, 6 at first sight)
    "set L": (SET_L, 153 / 160, 7),  # 95.6%, 7 (68.1%, 30 at first sight)
    "set N": (SET_N, 155 / 160, 5),  # 96.9%, 5 (83.1%, 18 at first sight)
    "set O": (SET_O, 197 / 200, 3),  # 98.5%, 3 (88.5%, 15 at first sight)
    "set P": (SET_P, 198 / 200, 1),  # 99.0%, 1 (92.5%, 8 at first sight)
    "set M": (SET_M, 188 / 200, 9),  # 94.0%, 9 (89.5%, 14 at first sight)
    "set Q": (SET_Q, 187 / 200, 8),  # 93.5%, 8 (90.5%, 11 at first sight)
    "set R": (SET_R, 184 / 200, 12),  # 92.0%, 12 (88.5%, 15 at first sight)
    "set S": (SET_S, 199 / 200, 0),  # 99.5%, 0 (93.5%, 7 at first sight)
    "set T": (SET_T, 198 / 200, 2),  # 99.0%, 2 (92.0%, 9 at first sight)
    # (U was 88.5%, 17 before "dzień" asked which day: one message of U gains the length;
    # I and AC gained three, two of them confidently wrong before)
    "set U": (SET_U, 180 / 200, 15),  # 90.0%, 15 (86.5%, 19 at first sight)
    "set V": (SET_V, 183 / 190, 7),  # 96.3%, 7 (83.2%, 20 at first sight)
    "set W": (SET_W, 197 / 200, 3),  # 98.5%, 3 (91.5%, 11 at first sight)
    "set X": (SET_X, 194 / 200, 4),  # 97.0%, 4 (94.5%, 5 at first sight, the sixth round's code)
    "set Y": (SET_Y, 197 / 200, 2),  # 98.5%, 2 (93.0%, 10 at first sight)
    "set Z": (SET_Z, 194 / 200, 3),  # 97.0%, 3 (88.5%, 14 at first sight)
    "set AA": (SET_AA, 192 / 200, 5),  # 96.0%, 5 (92.0%, 9 at first sight)
    "set AB": (SET_AB, 191 / 200, 7),  # 95.5%, 7 (88.0%, 13 at first sight)
    "set AC": (SET_AC, 186 / 200, 12),  # 93.0%, 12 (88.5%, 16 at first sight)
    "set AD": (SET_AD, 193 / 200, 5),  # 96.5%, 5 (89.5%, 11 at first sight)
    "set AE": (SET_AE, 190 / 200, 4),  # 95.0%, 4 (93.5%, 6 at first sight)
    "set AF": (SET_AF, 192 / 200, 5),  # 96.0%, 5 (90.0%, 9 at first sight)
    "set AG": (SET_AG, 188 / 200, 8),  # 94.0%, 8 (91.0%, 11 at first sight)
    "set AH": (SET_AH, 187 / 200, 11),  # 93.5%, 11 (first sight, the ninth round's code)
    # (AI asked for indirect questions and two questions typed with no break between)
    "set AI": (SET_AI, 193 / 200, 7),  # 96.5%, 7 (87.0%, 16 at first sight)
    "set AJ": (SET_AJ, 181 / 200, 9),  # 90.5%, 9 (87.5%, 10 at first sight, after the run-ons)
    "set AK": (SET_AK, 179 / 200, 16),  # 89.5%, 16 (first sight, the tenth round's last code)
    # (AL and AM: written at the start of the eleventh round, measured before the chat model)
    "set AL": (SET_AL, 185 / 200, 11),  # 92.5%, 11 (89.0%, 12 at first sight)
    "set AM": (SET_AM, 179 / 200, 18),  # 89.5%, 18 (86.5%, 21 at first sight)
    # (AN and AO: written after the chat model; first sight with it; the code before it: AN
    # 92.5%, 10 and AO 85.0%, 11)
    "set AN": (SET_AN, 188 / 200, 9),  # 94.0%, 9 (first sight, with the chat model)
    "set AO": (SET_AO, 179 / 200, 11),  # 89.5%, 11 (first sight, with the chat model)
}

# Known failures of the studied sets, with the reason.
KNOWN_FAILURES = {
    # tune split
    "Dzięki! And the address? Potrzebuję do GPS":
        "language: the question is English ('And the address?'); the label says Polish",
    "Where is Targi Kielce? Jak daleko od centrum?":
        "language: as many Polish as English words; the label says English, we say Polish",
    # set A: long messages whose question is mostly words the knowledge base does not use
    "Dzien dobry, mam pytanie organizacyjne – dostałam zaproszenie mailem, ale nie wiem co "
    "dalej: czy mam coś odesłać, potwierdzić, wypełnić? Kogo najlepiej o takie rzeczy pytać, "
    "żeby nie zawracać głowy Panu Ambasadorowi?":
        "'nie wiem co dalej' (what now) is read as 'what comes next' (the next edition)",
    # two questions
    "Dzień dobry, dwie sprawy: czy wójt może przyjechać razem z zastępcą i czy płaci się za "
    "udział?":
        "'razem z zastępcą' (with a deputy) is as near a substitute as a guest: only the fee "
        "is answered",
    "Czym jest ten Rynek Odporności Społecznej i kto może w nim uczestniczyć?":
        "'kto może uczestniczyć' gets the invitation entry; the label wants the audience",
    "When is it and where exactly?":
        "'where exactly' gets the address; the label wants the venue",
}


def cases(split: list[dict]) -> list:
    return [
        pytest.param(case, marks=pytest.mark.xfail(reason=KNOWN_FAILURES[case["text"]],
                                                   strict=True))
        if case["text"] in KNOWN_FAILURES else case
        for case in split
    ]


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=list(CLOCKS))
async def assistant_at(request: pytest.FixtureRequest) -> AsyncIterator[Assistant]:
    """The assistant with a clock before the event and one after it."""
    clock = ManualClock(CLOCKS[request.param])
    async with open_services(Config(database=Path(":memory:")), clock) as services:
        yield services.assistant


@pytest.mark.parametrize("case", cases(TUNE + SET_A), ids=[q["text"][:60] for q in TUNE + SET_A])
def test_chat_message_gets_the_expected_answer(assistant_at: Assistant, case: dict) -> None:
    answer = assistant_at.ask(case["text"])
    got = f"{answer.kind} {answer.entries} {answer.lang} {answer.score} {answer.suggestions}"
    assert judge(answer, case) == "right", got


@pytest.mark.parametrize("name", list(FLOORS))
def test_measured_sets_stay_at_the_accuracy_reached(assistant_at: Assistant, name: str) -> None:
    measured, floor, most_wrong = FLOORS[name]
    verdicts = [judge(assistant_at.ask(case["text"]), case) for case in measured]
    assert sum(v == "right" for v in verdicts) / len(verdicts) >= floor
    assert verdicts.count("confidently_wrong") <= most_wrong


def test_the_known_failures_are_all_in_the_studied_sets() -> None:
    studied = {q["text"] for q in TUNE + SET_A}
    assert set(KNOWN_FAILURES) <= studied


def test_the_chat_sets_are_large_enough_and_varied() -> None:
    assert len(CHAT) >= 300 and all(
        len(s) >= 200 for s in (SET_A, SET_B, SET_C, SET_D, SET_E, SET_F, SET_G, SET_H, SET_I,
                                SET_J, SET_O, SET_P, SET_M, SET_Q, SET_R, SET_S, SET_T,
                                SET_U, SET_W, SET_X, SET_Y, SET_Z, SET_AA, SET_AB, SET_AC,
                                SET_AD, SET_AE, SET_AF, SET_AG, SET_AH, SET_AI, SET_AJ,
                                SET_AK, SET_AL, SET_AM, SET_AN, SET_AO)) and all(
        len(s) >= 150 for s in (SET_K, SET_L, SET_N, SET_V))
    assert len(HOLDOUT) >= len(CHAT) / 4
    for labelled in (CHAT, SET_A, SET_B, SET_C, SET_D, SET_E, SET_F, SET_G):
        assert {q["kind"] for q in labelled} == {"answer", "handoff", "fallback"}
        assert sum(bool(q.get("also")) for q in labelled) >= 20  # two questions in one message

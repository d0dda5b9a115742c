"""No loops: the answer to each misunderstanding in a row, read from the events alone."""
from __future__ import annotations

import pytest

from actions.misunderstanding import (
    FIRST,
    OFFER_PERSON,
    SECOND,
    bot_turns,
    misses_in_a_row,
    response_for_miss,
    should_flag,
)


def user() -> dict:
    return {"event": "user", "text": "..."}


def bot(name: str) -> dict:
    return {"event": "bot", "metadata": {"utter_action": name}}


def conversation(*turns: list[str]) -> list[dict]:
    """Each turn: the parent writes, the bot answers with these responses; then the
    parent writes once more (the message being answered now)."""
    events: list[dict] = [{"event": "action", "name": "action_session_start"}]
    for said in turns:
        events.append(user())
        events += [bot(name) for name in said]
    return events + [user()]


def test_bot_turns_groups_the_answers_of_each_message():
    events = conversation(["utter_greet"], ["utter_rephrase_1", "utter_ask_pillar"])
    assert bot_turns(events) == [["utter_greet"], ["utter_rephrase_1", "utter_ask_pillar"], []]


@pytest.mark.parametrize(("turns", "expected"), [
    ([], 0),
    ([["utter_greet"]], 0),
    ([["utter_rephrase_1", "utter_ask_pillar"]], 1),
    ([["utter_rephrase_1"], ["utter_rephrase_2"]], 2),
    ([["utter_rephrase_1"], ["utter_ask_grade"], ["utter_invalid_grade"]], 1),  # an understood turn ends a run
    ([["utter_did_you_mean_2"], ["utter_rephrase_2"], ["utter_offer_person"]], 3),
    # "Noted: 1st grade." was understood, even if the question asked was not answered.
    ([["utter_did_you_mean_1"], ["utter_noted_grade", "utter_did_you_mean_1"]], 0),
    ([["utter_noted_needs", "utter_rephrase_1"], ["utter_rephrase_2"]], 1),
])
def test_misses_in_a_row_counts_back_to_the_last_understood_turn(turns, expected):
    assert misses_in_a_row(conversation(*turns)) == expected


def test_the_answers_never_repeat_and_reach_a_person():
    said: list[list[str]] = []
    answers = []
    for _ in range(5):
        answer = response_for_miss(conversation(*said), hint="utter_invalid_grade")
        answers.append(answer)
        said.append([answer, "utter_ask_grade"])
    assert answers == ["utter_invalid_grade", SECOND, OFFER_PERSON, OFFER_PERSON, OFFER_PERSON]
    assert all(a != b for a, b in zip(answers[:2], answers[1:3], strict=True))


def test_without_a_hint_the_first_miss_asks_to_rephrase():
    assert response_for_miss(conversation(["utter_greet"])) == FIRST


def test_staff_are_told_once_per_run_of_misunderstandings():
    flags = []
    said: list[list[str]] = [["utter_ask_pillar"]]
    for _ in range(5):
        flags.append(should_flag(conversation(*said)))
        said.append([response_for_miss(conversation(*said))])
    assert flags == [False, False, True, False, False]
    said.append(["utter_ask_priority"])  # understood: a new run may be flagged again
    for _ in range(3):
        flags.append(should_flag(conversation(*said)))
        said.append([response_for_miss(conversation(*said))])
    assert flags[-1] is True

"""What the bot says when it did not understand, so that it never loops: the first miss
gets a hint (or the bot's best guesses as a short numbered choice), the second the
numbered choices and the way to a person, the third an offer of a person, and the
conversation is flagged for staff as a repeated misunderstanding.

The count is read from the conversation's events (the bot's own answers), so it needs
no slot and survives a restart of the action server; any understood turn ends a run."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

# Responses that mean "I did not understand your last message".
NOT_UNDERSTOOD = frozenset({
    "utter_rephrase_1", "utter_rephrase_2", "utter_offer_person", "utter_invalid_grade",
    "utter_invalid_needs", "utter_did_you_mean_1", "utter_did_you_mean_2", "utter_did_you_mean_3",
})
# Responses that mean "I understood part of it" ("Noted: 3rd grade."): a turn with one of
# them is never a miss, even if the question asked was not answered.
UNDERSTOOD = frozenset({"utter_noted_grade", "utter_noted_needs", "utter_school_found"})
FIRST, SECOND = "utter_rephrase_1", "utter_rephrase_2"
OFFER_PERSON = "utter_offer_person"
FLAG_AFTER = 3  # misunderstandings in a row before a person is offered and staff are told


def bot_turns(events: Iterable[dict[str, Any]]) -> list[list[str]]:
    """The responses of each bot turn (what it said after each parent message), oldest first."""
    turns: list[list[str]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            turns.append([])
        elif kind == "bot" and turns:
            name = (event.get("metadata") or {}).get("utter_action")
            if name:
                turns[-1].append(name)
    return turns


def misses_in_a_row(events: Sequence[dict[str, Any]]) -> int:
    """How many of the bot's previous turns in a row answered "not understood" (the
    current turn, still being answered, is not counted)."""
    finished = bot_turns(events)[:-1]  # the last one is the turn being answered now
    count = 0
    for said in reversed(finished):
        if not NOT_UNDERSTOOD.intersection(said) or UNDERSTOOD.intersection(said):
            break
        count += 1
    return count


def response_for_miss(events: Sequence[dict[str, Any]], hint: str | None = None) -> str:
    """The response for this miss: the hint (or the first rephrase) once, then the
    numbered choices with the way to a person, then the offer of a person."""
    miss = misses_in_a_row(events) + 1
    if miss >= FLAG_AFTER:
        return OFFER_PERSON
    if miss == 2:
        return SECOND
    return hint or FIRST


def should_flag(events: Sequence[dict[str, Any]]) -> bool:
    """True on exactly the miss that reaches FLAG_AFTER: staff are told once per run."""
    return misses_in_a_row(events) + 1 == FLAG_AFTER


def guesses_may_be_offered(events: Sequence[dict[str, Any]]) -> bool:
    """Guesses replace the first and second "didn't catch that"; the third miss offers a person."""
    return misses_in_a_row(events) + 1 < FLAG_AFTER

"""A conversation's summary for parent-center staff, read from the bot's own state (its
slots and the responses it sent), never from what the parent wrote. The channels attach
it to the last message of every turn (bot.rasa.channels); the api keeps one row per
conversation from it (the dashboard's summary card, filters and charts).

Minimum data: the grade is given as its band, the needs as the guide's ids, the school as
the directory's code, or the parent's own words when it matched none. No rasa import:
tested with plain dicts.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

STEPS = tuple(range(1, 11))  # the guide's ten steps ("How to use this guide")
GRADE_BANDS = {"elementary": ("TK", "K", "1", "2", "3", "4", "5"), "middle": ("6", "7", "8"),
               "high": ("9", "10", "11", "12")}

# Responses whose sending means the parent has done (or been given) a step.
STEP_RESPONSES = {
    1: ("utter_pillars_overview",),
    4: ("utter_lookfors",),
    8: ("utter_invite_text", "utter_invite_text_no_date"),
    9: ("utter_share_guide",),
    10: ("utter_workshop_recorded", "utter_workshop_recorded_no_school"),
}


def grade_band(grade: Any) -> str | None:
    """"elementary", "middle" or "high" for a grade slot ("TK", "K", "1".."12")."""
    text = str(grade).strip().upper() if grade is not None else ""
    return next((band for band, grades in GRADE_BANDS.items() if text in grades), None)


def responses_sent(events: Iterable[Mapping[str, Any]]) -> set[str]:
    """The domain responses the bot has sent in this conversation (Rasa keeps each one's
    name in its bot event's metadata)."""
    return {name for event in events if event.get("event") == "bot"
            and isinstance(name := (event.get("metadata") or {}).get("utter_action"), str)}


def steps_done(slots: Mapping[str, Any], sent: set[str]) -> list[int]:
    """The guide's steps this conversation has reached, in order."""
    done = {step for step, responses in STEP_RESPONSES.items() if sent.intersection(responses)}
    plan_ready = bool(slots.get("plan_ready"))
    if slots.get("pillar") or slots.get("priority"):
        done.add(2)
    if slots.get("priority"):
        done.add(3)
    if slots.get("meeting_time"):
        done.add(5)
    if plan_ready:
        done.add(6)
    if plan_ready and (slots.get("grade") or shared_needs(slots)):
        done.add(7)
    return sorted(done)


def shared_needs(slots: Mapping[str, Any]) -> list[str]:
    needs = slots.get("needs") or []
    return [need for need in needs if isinstance(need, str) and need and need != "none"] \
        if isinstance(needs, list) else []


def summarize(slots: Mapping[str, Any], events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The summary of a conversation whose current slots and events are given."""
    sent = responses_sent(events)
    school_code = slots.get("school_code") or None
    school = slots.get("school") or None
    return {
        "language": slots.get("language") or None,
        "school_code": school_code,
        # The parent's own words, only when they matched no school of the directory.
        "school_text": school if school and not school_code else None,
        "grade_band": grade_band(slots.get("grade")),
        "needs": shared_needs(slots),
        "pillar": slots.get("pillar") or None,
        "priority": slots.get("priority") or None,
        "plan_ready": bool(slots.get("plan_ready")),
        "meeting_time": slots.get("meeting_time") or None,
        "steps_done": steps_done(slots, sent),
        "invitation_sent": bool(sent.intersection(STEP_RESPONSES[8])),
        "guide_shared": bool(sent.intersection(STEP_RESPONSES[9])),
        "workshop_requested": bool(sent.intersection(STEP_RESPONSES[10])),
        "handoff_requested": bool(slots.get("handoff_requested")),
        "safety_flag": bool(slots.get("safety_flag")),
    }

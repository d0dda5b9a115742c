"""Small helpers the actions share: the conversation's language, translated content,
the latest message, the child's profile and the current plan."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from bot.guide.labels import Labels, load_labels
from bot.guide.model import Guide, band_matches, load_guide
from bot.guide.personalized import Personalized, load_personalized
from bot.i18n import normalize_language, translate
from bot.planner import Plan, PlanItem, Profile, build_plan


def guide() -> Guide:
    return load_guide()


def labels() -> Labels:
    return load_labels()


def personalized() -> Personalized:
    return load_personalized()


def language(tracker: Tracker) -> str:
    return normalize_language(tracker.get_slot("language"))


def tr(tracker: Tracker, msgid: str) -> str:
    """Content text (guide, labels) in the conversation's language."""
    return translate(msgid, language(tracker))


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_entities(tracker: Tracker) -> list[dict[str, Any]]:
    return list((tracker.latest_message or {}).get("entities") or [])


def last_bot_response(tracker: Tracker) -> str | None:
    """The domain response the bot sent last (Rasa keeps it in the event metadata)."""
    responses = previous_turn_responses(tracker)
    return responses[-1] if responses else None


def previous_turn_responses(tracker: Tracker) -> list[str]:
    """The domain responses of the bot's previous turn: what it said between the
    parent's previous message and the current one, in order."""
    said: list[str | None] = []
    users_seen = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            users_seen += 1
            if users_seen == 2:
                break
        elif kind == "bot" and users_seen == 1:
            said.append((event.get("metadata") or {}).get("utter_action"))
    return [r for r in reversed(said) if r]


def profile(tracker: Tracker) -> Profile:
    return Profile(grade=tracker.get_slot("grade"), needs=tuple(tracker.get_slot("needs") or ()))


def current_plan(tracker: Tracker, **pending: Any) -> Plan | None:
    """The parent's plan, rebuilt from the slots (the planner is deterministic).
    `pending` holds slot values an action is about to set."""

    def slot(name: str) -> Any:
        return pending[name] if name in pending else tracker.get_slot(name)

    if not slot("priority") or not slot("plan_ready"):
        return None
    return build_plan(
        guide(),
        personalized(),
        slot("priority"),
        profile(tracker),
        dropped=slot("plan_dropped") or [],
        extra_pages=int(slot("plan_pages") or 0),
    )


def rebuilt_plan(tracker: Tracker, **pending: Any) -> Plan:
    """The plan again with `pending` page or dropped-item slots, for an action that has
    just found there is a plan (only the priority and plan_ready slots decide that)."""
    plan = current_plan(tracker, **pending)
    if plan is None:
        raise ValueError("no plan to rebuild: the priority or plan_ready slot is not set")
    return plan


def priority_name(tracker: Tracker, priority_id: str | None = None) -> str:
    priority_id = priority_id or tracker.get_slot("priority")
    return tr(tracker, guide().priority(priority_id).name) if priority_id else ""


def source_label(tracker: Tracker, item: PlanItem) -> str:
    formats, sections = labels().source_formats, labels().sections
    if item.need and item.section != "success":
        return tr(tracker, formats["personalized"]).format(need=tr(tracker, labels().need_label(item.need)))
    return tr(tracker, formats["guide"]).format(priority=item.priority, section=tr(tracker, sections[item.section]))


def item_text(tracker: Tracker, item: PlanItem) -> str:
    if item.kind == "goal":
        question = tr(tracker, guide().school_goals_question)
        goal = tr(tracker, item.text)
        if item.lead:
            goal = f"{tr(tracker, item.lead)}: {goal}"
        return tr(tracker, labels().source_formats["goal_item"]).format(question=question, goal=goal)
    return tr(tracker, item.text)


def plan_lines(tracker: Tracker, plan: Plan) -> str:
    """Numbered lines, each with where it came from."""
    return "\n".join(
        f"{n}. {item_text(tracker, item)} ({source_label(tracker, item)})" for n, item in enumerate(plan.items, 1)
    )


def bullet_lines(texts: list[str]) -> str:
    return "\n".join(f"- {text}" for text in texts)


def lookfor_texts(tracker: Tracker, priority_id: str) -> list[str]:
    """The priority's "What to look for" items for the child's grade band, translated."""
    grade = tracker.get_slot("grade")
    items = guide().priority(priority_id).look_for
    return [tr(tracker, i.text) for i in items if grade is None or band_matches(i.grade_band, grade)]


def plan_data(tracker: Tracker, plan: Plan) -> dict[str, Any]:
    """The plan as data for other channels (the api's printable page): texts already in
    the parent's language, nothing about the child but what the plan itself says."""
    priority = guide().priority(plan.priority)
    pillar = guide().pillar(priority.pillar_id)
    return {
        "language": language(tracker),
        "priority": plan.priority,
        "priority_name": tr(tracker, priority.name),
        "pillar_name": tr(tracker, pillar.name),
        "questions": [
            {"number": n, "text": item_text(tracker, item), "source": source_label(tracker, item)}
            for n, item in enumerate(plan.items, 1)
        ],
        "look_for": lookfor_texts(tracker, plan.priority),
        "school": tracker.get_slot("school") or None,
        "meeting_time": tracker.get_slot("meeting_time") or None,
    }

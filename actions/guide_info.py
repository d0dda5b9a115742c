"""Reading about the guide: the pillars overview (step 1) and the four organizing steps."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from bot import parsing


def pillar_lines(tracker: Tracker) -> str:
    lines = []
    for pillar in common.guide().guide_pillars():
        names = ", ".join(f"{p.id} {common.tr(tracker, p.name)}" for p in pillar.priorities if p.in_guide)
        lines.append(f"{pillar.id} {common.tr(tracker, pillar.name)}: {names}")
    return "\n".join(lines)


class ActionPillarsOverview(Action):
    """Step 1 in one line; asked again ("read more"), the priorities and the goals."""

    def name(self) -> str:
        return "action_pillars_overview"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if common.last_bot_response(tracker) != "utter_pillars_overview":
            dispatcher.utter_message(response="utter_pillars_overview")
            return []
        goal_names = ", ".join(common.tr(tracker, g.title) for g in common.guide().district_goals)
        dispatcher.utter_message(
            response="utter_pillars_detail", pillar_lines=pillar_lines(tracker), goal_names=goal_names
        )
        return []


def chosen_step(tracker: Tracker, count: int) -> int | None:
    entities = common.latest_entities(tracker)
    raw = parsing.first_entity(entities, "step") or parsing.first_entity(entities, "number")
    number = int(raw) if raw and raw.isdigit() else None
    return number if number and 1 <= number <= count else None


class ActionOrganize(Action):
    """The guide's four organizing steps: a menu, then one step with its questions."""

    def name(self) -> str:
        return "action_organize"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        steps = common.guide().organizing_steps
        number = chosen_step(tracker, len(steps))
        if number is None:
            buttons = [
                {"title": f"{s.number} {common.tr(tracker, s.title)}", "payload": f'/organize{{"step": "{s.number}"}}'}
                for s in steps
            ]
            dispatcher.utter_message(response="utter_organize_intro", buttons=buttons)
            return []
        step = steps[number - 1]
        questions = [common.tr(tracker, q) for q in step.reflection_questions]
        questions.append(common.tr(tracker, step.closing_question))
        dispatcher.utter_message(
            response="utter_organizing_step",
            number=step.number,
            title=common.tr(tracker, step.title),
            quote=common.tr(tracker, step.quote),
            description=common.tr(tracker, step.description),
            questions=" ".join(questions),
        )
        return []

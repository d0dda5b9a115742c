"""After the plan: ask for the meeting (step 5), save its date, invite other parents
(step 8) and ask for a Strategic Plan workshop (step 10)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions.validation import BaseFormValidation
from bot.events import staff_event
from bot.meeting_time import format_meeting_time, parse_meeting_time, read_meeting_time


def meeting_when(tracker: Tracker) -> str | None:
    """The saved meeting time, formatted for the parent's language."""
    when = read_meeting_time(tracker.get_slot("meeting_time"))
    return format_meeting_time(when, common.language(tracker)) if when else None


class ActionMeetingMessage(Action):
    def name(self) -> str:
        return "action_meeting_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not tracker.get_slot("priority"):
            dispatcher.utter_message(response="utter_no_plan_yet")
            return []
        school = tracker.get_slot("school")
        response = "utter_meeting_message" if school else "utter_meeting_message_no_school"
        dispatcher.utter_message(response=response, school=school or "", priority_name=common.priority_name(tracker))
        return []


class ValidateMeetingForm(BaseFormValidation):
    def name(self) -> str:
        return "validate_meeting_form"

    def validate_meeting_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        parsed = parse_meeting_time(str(value or ""), self.lang(tracker))
        if parsed.when is not None:
            return {"meeting_time": parsed.when.isoformat()}
        if parsed.in_past:
            dispatcher.utter_message(response="utter_meeting_time_past")
        elif parsed.has_date or parsed.has_time:
            dispatcher.utter_message(response="utter_meeting_time_incomplete")
        elif common.latest_intent(tracker) != "set_meeting":
            self.not_understood(dispatcher, tracker, "utter_meeting_time_incomplete")
        return {"meeting_time": None}


class ActionSaveMeeting(Action):
    """Confirms the meeting in the parent's words and records it (reminders use it)."""

    def name(self) -> str:
        return "action_save_meeting"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        when = meeting_when(tracker)
        if when is None:
            return []
        # `meeting` travels with the message: the api schedules the SMS reminders from it.
        meeting = {"starts_at": tracker.get_slot("meeting_time"), "priority": tracker.get_slot("priority")}
        dispatcher.utter_message(response="utter_meeting_saved", meeting_when=when, meeting=meeting,
                                 staff_event=staff_event("meeting_scheduled"))
        return []


class ActionInviteParents(Action):
    def name(self) -> str:
        return "action_invite_parents"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not tracker.get_slot("priority"):
            dispatcher.utter_message(response="utter_no_plan_yet")
            return []
        when = meeting_when(tracker)
        response = "utter_invite_text" if when else "utter_invite_text_no_date"
        dispatcher.utter_message(
            response=response, meeting_when=when or "", priority_name=common.priority_name(tracker)
        )
        return []


class ActionRequestWorkshop(Action):
    """Step 10, recorded as a structured event for the parent center."""

    def name(self) -> str:
        return "action_request_workshop"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        school = tracker.get_slot("school")
        event = staff_event("workshop_requested")
        if school:
            dispatcher.utter_message(response="utter_workshop_recorded", school=school, staff_event=event)
        else:
            dispatcher.utter_message(response="utter_workshop_recorded_no_school", staff_event=event)
        return []

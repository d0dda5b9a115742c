"""Base class for the forms' validation actions (in the style of RasaHQ/financial-demo):
language and latest-message helpers, and the "didn't understand" answer that never
repeats itself twice in a row."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common

REPHRASE_RESPONSES = ("utter_rephrase_1", "utter_rephrase_2")


def next_rephrase(last_response: Text | None) -> Text:
    """The rephrase prompt to send: never the one just sent."""
    if last_response == REPHRASE_RESPONSES[0]:
        return REPHRASE_RESPONSES[1]
    return REPHRASE_RESPONSES[0]


class BaseFormValidation(FormValidationAction):
    def name(self) -> Text:  # pragma: no cover - every subclass names itself
        raise NotImplementedError

    @staticmethod
    def lang(tracker: Tracker) -> str:
        return common.language(tracker)

    @staticmethod
    def text(tracker: Tracker) -> Text:
        return common.latest_text(tracker)

    @staticmethod
    def entities(tracker: Tracker) -> List[Dict[str, Any]]:
        return common.latest_entities(tracker)

    @staticmethod
    def not_understood(dispatcher: CollectingDispatcher, tracker: Tracker, response: Text | None = None) -> None:
        """A specific hint when there is one, else a rephrase prompt that alternates."""
        if response and common.last_bot_response(tracker) != response:
            dispatcher.utter_message(response=response)
        else:
            dispatcher.utter_message(response=next_rephrase(common.last_bot_response(tracker)))

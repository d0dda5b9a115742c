"""Custom NLG: renders each domain response in the conversation's language.

Loaded by Rasa from endpoints.yml (`nlg: type: bot.rasa.nlg.CatalogNLG`). It picks a
response variation like Rasa's templated NLG, translates the text and the button
titles through bot.i18n (English source -> catalog of the `language` slot, or of a
`language` the action passes, with a logged English fallback for a missing string),
then fills the variables.
Buttons that actions add themselves are already translated and are left alone.
"""
from __future__ import annotations

import copy
from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.i18n import normalize_language, translate
from bot.rasa import speedups

speedups.install()  # before the first turn (bot/rasa/speedups.py)


def translate_response(response: dict[str, Any], lang: str | None) -> dict[str, Any]:
    """A copy of a response variation with its text and button titles translated."""
    translated = copy.deepcopy(response)
    if translated.get("text"):
        translated["text"] = translate(translated["text"], lang)
    for button in translated.get("buttons") or []:
        if button.get("title"):
            button["title"] = translate(button["title"], lang)
    return translated


class CatalogNLG(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None) -> None:
        super().__init__((domain or Domain.empty()).responses)

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        filled_slots = tracker.current_slot_values()
        response = self._random_response_for(utter_action, output_channel, filled_slots)
        if response is None:
            return None
        # An action that switches language passes the new one: its own events are
        # applied only after its messages are generated.
        language = kwargs.pop("language", None) or filled_slots.get("language")
        response = translate_response(response, language)
        # Actions pass their own buttons as a kwarg; Rasa appends them after us.
        kwargs.pop("buttons", None)
        filled = self._fill_response(response, filled_slots, **kwargs)
        # The channels pass the language on, so the api can answer in it (apologies,
        # reminders). None until the parent has one: the first greeting is bilingual.
        filled["language"] = normalize_language(language) if language else None
        return filled

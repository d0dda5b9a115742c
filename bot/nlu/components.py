"""Custom Rasa NLU components (graph components registered with the default recipe).

- GuideEntityExtractor: the rule-based spaCy extraction in bot.nlu.extract (grade,
  needs, priority, pillar, language) plus plain numbers, as Rasa entities.
- SafetyOverride: a message that signals a child in danger becomes the `crisis`
  intent with full confidence, whatever the classifier said, so the 988/911 answer
  comes first. Placed after DIET and the FallbackClassifier in config.yml.
Both are deterministic and untrained; the spaCy pipelines load lazily on first use.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import extract

CRISIS_INTENT = "crisis"
_NUMBER = re.compile(r"(?<![\d:/])\b(\d{1,2})\b(?![\d:/]|\s*(?:am|pm|a\.m|p\.m)\b)", re.IGNORECASE)


def message_language(message: Message, default: Text) -> Text:
    """The language to extract in. (Per-message detection plugs in here.)"""
    return default


def number_entities(text: Text) -> List[Dict[str, Any]]:
    """Stand-alone small numbers ("remove question 3"), not times or dates."""
    return [
        {"entity": "number", "value": m.group(1), "start": m.start(1), "end": m.end(1), "text": m.group(1)}
        for m in _NUMBER.finditer(text)
    ]


def _is_payload(text: Optional[Text]) -> bool:
    return bool(text) and text.startswith("/")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class GuideEntityExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"language": "en"}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.language = config.get("language", "en")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "GuideEntityExtractor":
        extractor = cls(config)
        extract.warm_up(extractor.language)
        return extractor

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or _is_payload(text):
                continue
            lang = message_language(message, self.language)
            found = extract.extract_all(text, lang) + number_entities(text)
            if found:
                found = self.add_extractor_name(found)
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyOverride(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"language": "en"}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.language = config.get("language", "en")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyOverride":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or _is_payload(text):
                continue
            if extract.is_crisis(text, message_language(message, self.language)):
                crisis = {"name": CRISIS_INTENT, "confidence": 1.0}
                others = [r for r in message.get(INTENT_RANKING_KEY, []) or [] if r.get("name") != CRISIS_INTENT]
                message.set(INTENT, crisis, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [crisis] + others, add_to_output=True)
        return messages

"""Custom Rasa NLU components (graph components registered with the default recipe).

- GuideEntityExtractor: the rule-based spaCy extraction in bot.nlu.extract (grade,
  needs, priority, pillar, language) plus plain numbers, as Rasa entities.
- SafetyOverride: a message that signals a child in danger becomes the `crisis`
  intent with full confidence, whatever the classifier said, so the 988/911 answer
  comes first. Placed after DIET and the FallbackClassifier in config.yml.
- FallbackRescue: when the classifier is unsure (nlu_fallback) but the rule-based
  extractor found a topic or a child's detail, the message is read as choosing that
  topic or informing: "mi hija que falta mucho a la escuela" is a worry, not noise.
- LanguageDetector: free text that is clearly English or Spanish adds a
  `detected_language` entity, which fills the `language` slot (domain.yml), so a
  parent who writes in Spanish is answered in Spanish without being asked.
Both are deterministic and untrained; the spaCy pipelines load lazily on first use.
"""
from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import extract
from bot.nlu.language import detect_language

CRISIS_INTENT = "crisis"
_NUMBER = re.compile(r"(?<![\d:/])\b(\d{1,2})\b(?![\d:/]|\s*(?:am|pm|a\.m|p\.m)\b)", re.IGNORECASE)


LANGUAGES = ("en", "es")


def message_languages(text: str) -> list[str]:
    """The languages to read a message in: the detected one, or both for a short or
    mixed reply ("kinder", "tercero", "1 3")."""
    detected = detect_language(text)
    return [detected] if detected else list(LANGUAGES)


def entities_in(text: str) -> list[dict[str, Any]]:
    """Rule-based entities in every plausible language, each (entity, span) once."""
    found: dict[tuple, dict[str, Any]] = {}
    for lang in message_languages(text):
        for entity in extract.extract_all(text, lang):
            found.setdefault((entity["entity"], entity["start"], entity["end"]), entity)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entity in found.values():
        by_type.setdefault(entity["entity"], []).append(entity)
    # One value per single-valued entity: the longest span wins (needs can be several).
    chosen = [e for name, group in by_type.items() if name == "need" for e in group]
    chosen += [max(group, key=lambda e: e["end"] - e["start"]) for name, group in by_type.items() if name != "need"]
    return sorted(chosen, key=lambda e: e["start"])


def number_entities(text: str) -> list[dict[str, Any]]:
    """Stand-alone small numbers ("remove question 3"), not times or dates."""
    return [
        {"entity": "number", "value": m.group(1), "start": m.start(1), "end": m.end(1), "text": m.group(1)}
        for m in _NUMBER.finditer(text)
    ]


def _is_payload(text: str | None) -> bool:
    return text is not None and text.startswith("/")


class UntrainedComponent(GraphComponent):
    """A rule-based component: no config, nothing to train or persist."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UntrainedComponent:
        return cls()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class GuideEntityExtractor(UntrainedComponent, EntityExtractorMixin):
    def __init__(self) -> None:
        for lang in LANGUAGES:
            extract.warm_up(lang)  # build the spaCy pipelines while the model loads

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or _is_payload(text):
                continue
            found = entities_in(text) + number_entities(text)
            if found:
                found = self.add_extractor_name(found)
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


def set_intent(message: Message, intent: str) -> None:
    """Makes `intent` the message's intent with full confidence, first in the ranking."""
    chosen = {"name": intent, "confidence": 1.0}
    others = [r for r in message.get(INTENT_RANKING_KEY, []) or [] if r.get("name") != intent]
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen] + others, add_to_output=True)


FALLBACK_INTENT = "nlu_fallback"
RESCUES = (("choose_topic", ("priority", "pillar")), ("inform", ("grade", "need")))


def rescued_intent(entities: list[dict[str, Any]]) -> str | None:
    found = {e.get("entity") for e in entities}
    for intent, signals in RESCUES:
        if found.intersection(signals):
            return intent
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class FallbackRescue(UntrainedComponent):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if (message.get(INTENT) or {}).get("name") != FALLBACK_INTENT:
                continue
            intent = rescued_intent(message.get(ENTITIES, []) or [])
            if intent:
                set_intent(message, intent)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyOverride(UntrainedComponent):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or _is_payload(text):
                continue
            # Both languages, always: a missed danger signal costs far more than a false alarm.
            if any(extract.is_crisis(text, lang) for lang in LANGUAGES):
                set_intent(message, CRISIS_INTENT)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(UntrainedComponent, EntityExtractorMixin):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            detected = detect_language(text) if text and not _is_payload(text) else None
            if detected:
                entity = {"entity": "detected_language", "value": detected, "start": 0, "end": len(text), "text": text}
                entity = self.add_extractor_name([entity])[0]
                message.set(ENTITIES, message.get(ENTITIES, []) + [entity], add_to_output=True)
        return messages

"""Custom Rasa NLU components (graph components registered with the default recipe).

- GuideEntityExtractor: the rule-based spaCy extraction in bot.nlu.extract (grade,
  needs, priority, pillar, language) plus plain numbers, as Rasa entities.
- SafetyOverride: a message that signals a child in danger (the crisis lexicon, or the
  binary crisis model of bot/rasa/crisis.py) becomes the `crisis` intent with full
  confidence, whatever the classifier said, so the 988/911 answer comes first; a crisis
  that only the intent classifier saw is not one in a message about one of the
  journey's topics or when the crisis model disagrees. Placed after the classifiers.
- FallbackRescue: when the classifier is unsure (nlu_fallback) but the rule-based
  extractor found a topic or a child's detail, the message is read as choosing that
  topic or informing: "mi hija que falta mucho a la escuela" is a worry, not noise; an
  unsure reading of a short reply that names a school is the school's name; and a topic
  "chosen" in a message that names none, but a child's detail or an out-of-scope
  question, is that detail or question.
- TopicGuessExtractor: a topic chosen in words no lexicon pattern knows gets the
  priority bot.nlu.topic_guess clearly leads with (unsure guesses are left to the
  form, which offers them as a numbered choice).
- LanguageDetector: free text that is clearly English or Spanish adds a
  `detected_language` entity, which fills the `language` slot (domain.yml), so a
  parent who writes in Spanish is answered in Spanish without being asked; a message
  with some evidence but not enough to switch a running conversation ("gracias")
  adds `likely_language`, which the slot takes only while it has no language yet
  (actions/slot_mappings.py). The language a parent ASKS for ("I don't read Spanish,
  English please") is the `language` entity, read by bot.nlu.language, not the last
  language named.
Both are deterministic and untrained; the spaCy pipelines load lazily on first use.
"""
from __future__ import annotations

import re
from typing import Any

import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import parsing
from bot.nlu import extract, language, topic_guess
from bot.nlu.language import detect_language
from bot.rasa.crisis import CRISIS_SCORE
from bot.text import looks_like_noise, without_spans

CRISIS_INTENT = "crisis"
_NUMBER = re.compile(r"(?<![\d:/])\b(\d{1,2})\b(?![\d:/]|\s*(?:am|pm|a\.m|p\.m)\b)", re.IGNORECASE)


LANGUAGES = ("en", "es")


def message_languages(text: str) -> list[str]:
    """The languages to read a message in: the detected one, or both for a short or
    mixed reply ("kinder", "tercero", "1 3")."""
    detected = detect_language(text)
    return [detected] if detected else list(LANGUAGES)


def requested_language_entity(text: str) -> list[dict[str, Any]]:
    wanted = language.requested_language(text)
    return [{"entity": "language", "value": wanted, "start": 0, "end": len(text), "text": text}] if wanted else []


def entities_in(text: str) -> list[dict[str, Any]]:
    """Rule-based entities in every plausible language, each (entity, span) once."""
    found: dict[tuple, dict[str, Any]] = {}
    langs = message_languages(text)
    for lang in langs:
        for entity in extract.extract_all(text, lang):
            if not blocked_in_another(entity, text, [other for other in langs if other != lang]):
                found.setdefault((entity["entity"], entity["start"], entity["end"]), entity)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entity in found.values():
        by_type.setdefault(entity["entity"], []).append(entity)
    # One value per single-valued entity: the longest span wins (needs can be several).
    chosen = [e for name, group in by_type.items() if name == "need" for e in group]
    chosen += [max(group, key=lambda e: e["end"] - e["start"]) for name, group in by_type.items() if name != "need"]
    # A pillar's name holds a priority's words ("Joy and Wellness" / well-being): the name wins.
    pillars = [e for e in chosen if e["entity"] == "pillar"]
    chosen = [e for e in chosen if not (e["entity"] == "priority" and any(within(e, p) for p in pillars))]
    return sorted(chosen, key=lambda e: e["start"])


def blocked_in_another(entity: dict[str, Any], text: str, others: list[str]) -> bool:
    """A span one reading of a short or mixed message blocks is no entity in the other
    either: "march 5th" is a date in English, so the Spanish reading's grade 5 goes too."""
    label = extract.ENTITIES.get(entity["entity"])
    return label is not None and any(
        _overlaps(entity, {"start": start, "end": end})
        for lang in others for start, end in extract.blocked_spans(text, lang, label)
    )


def _overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return "start" in a and a["start"] < b["end"] and b["start"] < a["end"]


def within(inner: dict[str, Any], outer: dict[str, Any]) -> bool:
    return outer["start"] <= inner["start"] and inner["end"] <= outer["end"]


def number_entities(text: str) -> list[dict[str, Any]]:
    """Stand-alone small numbers ("remove question 3"), not times or dates."""
    return [
        {"entity": "number", "value": m.group(1), "start": m.start(1), "end": m.end(1), "text": m.group(1)}
        for m in _NUMBER.finditer(text)
    ]


def _is_payload(text: str | None) -> bool:
    return text is not None and text.startswith("/")


class UntrainedComponent(GraphComponent):
    """A rule-based component: nothing to train or persist; its settings (config.yml over
    get_default_config) are its __init__'s keyword arguments."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UntrainedComponent:
        return cls(**{**cls.get_default_config(), **config})


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentRegression(LogisticRegressionClassifier):
    """Rasa's logistic regression intent classifier, which fails on a message with no
    features at all (only spaces, say): such a message gets no intent, and the
    FallbackClassifier then reads it as not understood. `C` (the inverse of the
    regularization strength, which Rasa leaves at scikit-learn's 1.0) is configurable."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(self, config: dict[str, Any], name: str, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.C = float(self.config["C"])

    def process(self, messages: list[Message]) -> list[Message]:
        readable = [has_features(m) for m in messages]
        if any(readable):
            super().process([m for m, ok in zip(messages, readable, strict=True) if ok])
        for message, ok in zip(messages, readable, strict=True):
            if not ok:
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        return messages

    def _create_X(self, messages: list[Message]) -> scipy.sparse.csr_matrix:
        """The same matrix as Rasa's, whose every row deep-copies each featurizer's
        features to combine them and then stacks them twice more: over a millisecond of
        a turn's CPU. Here each row is the message's sentence features side by side, in
        the featurizers' order (the order Rasa combines them in for training)."""
        rows = [scipy.sparse.hstack(sentence_features(m), format="csr") for m in messages]
        return scipy.sparse.vstack(rows, format="csr")


def sentence_features(message: Message) -> list[Any]:
    """The message's sentence-level feature matrices of its text, sparse ones first, each
    kind in the featurizers' order (as Rasa's get_sparse_features and get_dense_features)."""
    found = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
    return [f.features for f in found if f.is_sparse()] + [f.features for f in found if not f.is_sparse()]


def has_features(message: Message) -> bool:
    """Whether any featurizer found anything in the text (a message of spaces has nothing)."""
    return any(matrix.shape[-1] > 0 and matrix.sum() != 0 for matrix in sentence_features(message))


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
            # The language asked for replaces the lexicon's last-named language.
            found = [e for e in entities_in(text) if e["entity"] != "language"]
            found += requested_language_entity(text) + number_entities(text)
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


DETAILS = ("grade", "need")


def rescued_intent(entities: list[dict[str, Any]]) -> str | None:
    """The intent the rule-based entities point to. A priority read from the very words of
    a need or a grade ("GATE", "special ed": the need is also a topic) is a detail of the
    child, not a topic chosen."""
    details = [e for e in entities if e.get("entity") in DETAILS and "start" in e]
    found = {e.get("entity") for e in entities
             if not (e.get("entity") == "priority" and any(_overlaps(e, d) for d in details))}
    for intent, signals in RESCUES:
        if found.intersection(signals):
            return intent
    return None


# Below this confidence, a short reply that names a school ("preparatoria jefferson",
# "Roosevelt High") is the school's name, whatever intent the classifier leaned to.
SCHOOL_NAME_DOUBT = 0.6
SCHOOL_NAME_MAX_WORDS = 4
LANGUAGE_ENTITIES = frozenset({"detected_language", "likely_language"})


def reads_as_school_name(text: str | None, confidence: float, entities: list[dict[str, Any]]) -> bool:
    """An unsure reading of a short reply that names a school and nothing else: no
    question, no topic or detail, a school-type word and a name (bot.parsing's rule for
    keeping a school's name in the parent's own words)."""
    if confidence >= SCHOOL_NAME_DOUBT or not text or "?" in text:
        return False
    if any(e.get("entity") not in LANGUAGE_ENTITIES for e in entities):
        return False
    return len(text.split()) <= SCHOOL_NAME_MAX_WORDS and parsing.parse_school_text(text) is not None


def topicless_choice_corrected(intent: str | None, text: str | None, entities: list[dict[str, Any]]) -> str | None:
    """`choose_topic` for a message in which the rule-based reading found no topic at all
    but a child's detail (a grade, a need) is `inform`; with an out-of-scope phrase ("lunch
    menu", "report card") it is `out_of_scope`. In the training data, counted once when
    this was written (no benchmark prints it), such messages were inform 227 times to
    choose_topic 3 (English; Spanish 249 to 6), and out_of_scope 33 to 1 (38 to 0). A
    message the classifier was unsure of (nlu_fallback) with such a
    phrase and no topic is out_of_scope too. None when nothing is to be corrected."""
    if intent not in ("choose_topic", FALLBACK_INTENT) or not text:
        return None
    found = {e.get("entity") for e in entities}
    if found & {"priority", "pillar"}:
        return None
    if any(extract.blocked_spans(text, lang) for lang in message_languages(text)):
        return "out_of_scope"
    return "inform" if intent == "choose_topic" and found & set(DETAILS) else None


def worried_detail_corrected(intent: str | None, text: str | None, entities: list[dict[str, Any]]) -> str | None:
    """`inform` that gives a detail and a worry about a topic chooses that topic: "she's in
    second grade, still learning english, and i'm worried about her reading", or "he has
    been missing a lot of school and i'm worried about it" (the lexicon's `worry`
    section, before the topic's words or after them). Without the cue an inform's topic
    words are usually its details ("GATE", "misses a lot of school")."""
    if intent != "inform" or not text:
        return None
    if not any(e.get("entity") == "priority" for e in entities):
        return None
    worried = any(extract.worry_spans(text, lang) for lang in message_languages(text))
    return "choose_topic" if worried else None


def rule_corrected(intent: str | None, text: str | None, entities: list[dict[str, Any]]) -> str | None:
    """The intent the rule-based reading corrects the classifier's to, or None."""
    return topicless_choice_corrected(intent, text, entities) or worried_detail_corrected(intent, text, entities)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class FallbackRescue(UntrainedComponent):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if looks_like_noise(message.get(TEXT)):
                set_intent(message, FALLBACK_INTENT)  # "xxxxxxxx" is no thanks, however sure the classifier is
                continue
            intent = message.get(INTENT) or {}
            entities = message.get(ENTITIES, []) or []
            if reads_as_school_name(message.get(TEXT), intent.get("confidence") or 0.0, entities):
                set_intent(message, "inform")
                continue
            corrected = rule_corrected(intent.get("name"), message.get(TEXT), entities)
            if corrected:
                set_intent(message, corrected)
                continue
            if intent.get("name") != FALLBACK_INTENT:
                continue
            rescued = rescued_intent(entities)
            if rescued:  # a detail rescued from the fallback may still come with a worry
                set_intent(message, worried_detail_corrected(rescued, message.get(TEXT), entities) or rescued)
        return messages


def classifier_crisis_overruled(intent: dict[str, Any], entities: list[dict[str, Any]],
                                danger_score: float | None = None, confirm_threshold: float = 0.0) -> bool:
    """A crisis that only the intent classifier saw (the crisis lexicon found nothing) is
    not one in a message that names one of the journey's topics ("she wants to go to
    college" is 1D, "he has been missing a lot of school" 2D), nor when the binary crisis
    model scores it below `confirm_threshold`: one class among thirty, it called "good
    afternoon, I'm a parent at my kid's school" and "I need a bus pass" a crisis."""
    if intent.get("name") != CRISIS_INTENT:
        return False
    return names_a_topic(entities) or (danger_score is not None and danger_score < confirm_threshold)


def names_a_topic(entities: list[dict[str, Any]]) -> bool:
    return any(e.get("entity") == "priority" for e in entities)


def model_sees_danger(danger_score: float | None, entities: list[dict[str, Any]], threshold: float,
                      sure_threshold: float = 1.01) -> bool:
    """The binary crisis model (bot/rasa/crisis.py) is sure enough, in a message that
    names none of the journey's topics (the same check as the intent classifier's), or
    all but certain whatever the message names: a long message about a child who says he
    will take his grandmother's pills "para no despertar" also names a topic."""
    if danger_score is None:
        return False
    return danger_score >= sure_threshold or (danger_score >= threshold and not names_a_topic(entities))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyOverride(UntrainedComponent):
    """A message is a crisis when the crisis lexicon fires (in either language), when the
    binary crisis model's score reaches `danger_threshold`, or when the intent classifier
    says so and is not overruled (a topic named, or the model's score under
    `confirm_threshold`). The thresholds were chosen on the held-out sets that had already
    guided changes, never on a blind one; benchmarks/nlu.py prints crisis recall and false
    alarms for the setting in config.yml. Without the crisis model in the pipeline only the
    topic check overrules the classifier."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"danger_threshold": 0.6, "confirm_threshold": 0.3, "sure_threshold": 0.98}

    def __init__(self, danger_threshold: float = 0.6, confirm_threshold: float = 0.3,
                 sure_threshold: float = 0.98) -> None:
        self.danger_threshold = float(danger_threshold)
        self.confirm_threshold = float(confirm_threshold)
        self.sure_threshold = float(sure_threshold)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or _is_payload(text):
                continue
            verdict = safety_verdict(
                lexicon_fired=lexicon_sees_danger(text),
                intent_name=(message.get(INTENT) or {}).get("name"),
                entities=message.get(ENTITIES, []) or [],
                score=message.get(CRISIS_SCORE),
                laughing=is_laughing(text),
                danger_threshold=self.danger_threshold,
                confirm_threshold=self.confirm_threshold,
                sure_threshold=self.sure_threshold,
            )
            if verdict == CRISIS:
                set_intent(message, CRISIS_INTENT)
            elif verdict == OVERRULED:
                # The classifier's next reading, corrected as FallbackRescue corrects its first.
                ranking = [r for r in message.get(INTENT_RANKING_KEY, []) or [] if r.get("name") != CRISIS_INTENT]
                intent = ranking[0]["name"] if ranking else "choose_topic"
                set_intent(message, rule_corrected(intent, text, message.get(ENTITIES, []) or []) or intent)
        return messages


def lexicon_sees_danger(text: str) -> bool:
    """The crisis lexicon fires in either language. Both, always: a missed danger signal
    costs far more than a false alarm. A language the entities were not read in is
    matched for danger alone (its crisis patterns and their blocks)."""
    read = message_languages(text)
    return any(extract.is_crisis(text, lang, alone=lang not in read) for lang in LANGUAGES)


CRISIS, OVERRULED = "crisis", "overruled"
# Laughter, in either language ("lol", "jajaja", "😂"): a parent who laughs is almost never
# reporting a child in danger ("his math grade is murdering his gpa lol", "me quiero
# morir con tanto papeleo jaja"); a child's own words quoted with it ("she posted 'i want
# to die lol'") still have both readers agree.
_LAUGHTER = re.compile(
    r"(?<!\w)(?:lol+|lmf?ao+|rofl|(?:ja|je|ji){2,}j?|(?:ha|he){2,}h?|xd+)(?!\w)"
    r"|[\U0001F602\U0001F923\U0001F606]",  # 😂 🤣 😆
    re.IGNORECASE,
)


def is_laughing(text: str) -> bool:
    return bool(_LAUGHTER.search(text))


def safety_verdict(*, lexicon_fired: bool, intent_name: str | None, entities: list[dict[str, Any]],
                   score: float | None, laughing: bool, danger_threshold: float,
                   confirm_threshold: float, sure_threshold: float = 1.01) -> str | None:
    """CRISIS, OVERRULED (the intent classifier said crisis and is not believed) or None.

    - Laughing (with the crisis model in the pipeline): two readers must agree, the
      lexicon and the model (at `confirm_threshold`) or the classifier and the model
      (at `danger_threshold`).
    - Otherwise the lexicon alone, or the model alone at `danger_threshold` in a message
      that names no journey topic (at `sure_threshold` in any message); the classifier's
      crisis unless overruled."""
    classifier_says = intent_name == CRISIS_INTENT
    if laughing and score is not None:
        agreed = (lexicon_fired and score >= confirm_threshold) or (classifier_says and score >= danger_threshold)
        return CRISIS if agreed else (OVERRULED if classifier_says else None)
    if lexicon_fired or model_sees_danger(score, entities, danger_threshold, sure_threshold):
        return CRISIS
    if classifier_crisis_overruled({"name": intent_name}, entities, score, confirm_threshold):
        return OVERRULED
    return None


TOPIC_GUESS_INTENTS = ("choose_topic",)


def guessed_topic_entity(intent: str | None, text: str | None, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A topic chosen in other words than any lexicon pattern knows ("they've had four
    different subs for science") gets the priority bot.nlu.topic_guess clearly leads with,
    read from the words that are no grade or need, in each language the message may be in.
    Nothing when a topic was named, when the guess is unsure (the bot then offers its
    guesses as a numbered choice) or when the message's languages disagree."""
    if intent not in TOPIC_GUESS_INTENTS or not text or {e.get("entity") for e in entities} & {"priority", "pillar"}:
        return []
    words = without_spans(text, entities, DETAILS)
    guesses = {topic_guess.confident_guess(words, lang) for lang in message_languages(text)} - {None}
    if len(guesses) != 1:
        return []
    return [{"entity": "priority", "value": guesses.pop(), "start": 0, "end": len(text), "text": text}]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class TopicGuessExtractor(UntrainedComponent, EntityExtractorMixin):
    """After the intent is settled (FallbackRescue, SafetyOverride): a chosen topic that no
    pattern named, guessed when one priority clearly leads."""

    def __init__(self) -> None:
        for lang in LANGUAGES:
            topic_guess.warm_up(lang)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or _is_payload(text):
                continue
            entities = message.get(ENTITIES, []) or []
            found = guessed_topic_entity((message.get(INTENT) or {}).get("name"), text, entities)
            if found:
                message.set(ENTITIES, entities + self.add_extractor_name(found), add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(UntrainedComponent, EntityExtractorMixin):
    def __init__(self) -> None:
        language.warm_up()  # the detector's models load with the model, not on a first message

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            found = language_entities(text) if text and not _is_payload(text) else []
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name(found), add_to_output=True)
        return messages


def language_entities(text: str) -> list[dict[str, Any]]:
    """`detected_language` when the text is clearly one language, else `likely_language`
    when there is some evidence (for a conversation that has no language yet)."""
    detected = detect_language(text)
    if detected:
        return [{"entity": "detected_language", "value": detected, "start": 0, "end": len(text), "text": text}]
    likely = language.first_language(text)
    if likely:
        return [{"entity": "likely_language", "value": likely, "start": 0, "end": len(text), "text": text}]
    return []

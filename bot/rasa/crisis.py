"""CrisisClassifier: the binary crisis model of bot/nlu/crisis_model.py as a Rasa graph
component. It trains on data/crisis/ (its `data` setting, relative to the project) and
the NLU intent examples, and gives every message a `crisis_score` (the probability of a
child in danger) that SafetyOverride reads after it. The score is not part of the parse
result: nothing downstream needs it, and a message's details stay out of the output.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import crisis_model

CRISIS_SCORE = "crisis_score"
MODEL_FILE = "crisis_model.joblib"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CrisisClassifier(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"data": "data/crisis", "C": 32.0}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # Rasa caches a trained component by its config and graph inputs; data/crisis is
        # neither, so its contents go into the fingerprint.
        return crisis_model.data_fingerprint(Path(config.get("data", "data/crisis")))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisClassifier:
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: Any = None) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.scorer = crisis_model.Scorer(model) if model is not None else None

    def train(self, training_data: TrainingData) -> Resource:
        intent_examples = [(m.get(TEXT), m.get(INTENT)) for m in training_data.intent_examples
                           if m.get(TEXT) and m.get(INTENT)]
        examples = crisis_model.with_intent_examples(
            crisis_model.load_examples(Path(self.config["data"])), intent_examples)
        model = crisis_model.train(examples, float(self.config["C"]))
        self.scorer = crisis_model.Scorer(model)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(model, directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CrisisClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            model = None  # not trained (no NLU data): SafetyOverride falls back to the other readers
        return cls({**cls.get_default_config(), **config}, model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.scorer is None:
            return messages
        for message in messages:
            message.set(CRISIS_SCORE, self.scorer.score(message.get(TEXT) or ""))
        return messages

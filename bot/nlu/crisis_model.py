"""A second, separate reader of danger: a binary crisis classifier.

The crisis lexicon (bot/nlu/lexicon) catches what its patterns name, and the intent
classifier has `crisis` as one class among thirty. Neither saw enough ways a parent may
report a child in danger: on blind sets about one crisis in twenty got through. This
model is trained for that one question on its own data (data/crisis/<lang>.yml: crisis
messages of every kind, and ordinary school messages with frightening words), plus the
intent examples (crisis against every other intent), with word and character n-grams.
Pure scikit-learn: no Rasa import, trained and tested without a tracker.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from bot.text import folded


class Examples(NamedTuple):
    texts: list[str]
    labels: list[int]  # 1: a child in danger, 0: not


def data_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yml"))


def data_fingerprint(directory: Path) -> str:
    """Changes whenever a data file does, so that Rasa retrains the model."""
    digest = hashlib.sha256()
    for path in data_files(directory):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_examples(directory: Path) -> Examples:
    """data/crisis/*.yml: `crisis: {<kind>: [texts]}` and `not_crisis: [texts]`."""
    texts: list[str] = []
    labels: list[int] = []
    for path in data_files(directory):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for kind_texts in (data.get("crisis") or {}).values():
            texts += [str(t) for t in kind_texts]
            labels += [1] * len(kind_texts)
        ordinary = data.get("not_crisis") or []
        texts += [str(t) for t in ordinary]
        labels += [0] * len(ordinary)
    return Examples(texts, labels)


def with_intent_examples(examples: Examples, intent_examples: Iterable[tuple[str, str]],
                         crisis_intent: str = "crisis") -> Examples:
    """Adds (text, intent) pairs: the crisis intent's examples as danger, the rest not."""
    texts, labels = list(examples.texts), list(examples.labels)
    for text, intent in intent_examples:
        texts.append(text)
        labels.append(int(intent == crisis_intent))
    return Examples(texts, labels)


def _normalized(text: str) -> str:
    return folded(text)  # lowercase without accents: parents type them or not


def build(c: float = 32.0, seed: int = 2022) -> Any:
    """Word (1-2) and character (2-5, within words) n-grams, TF-IDF, a class-balanced
    logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion([
        ("words", TfidfVectorizer(preprocessor=_normalized, ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
        ("chars", TfidfVectorizer(preprocessor=_normalized, analyzer="char_wb", ngram_range=(2, 5),
                                  sublinear_tf=True, min_df=2)),
    ])
    classifier = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=seed)
    return Pipeline([("features", features), ("classifier", classifier)])


def train(examples: Examples, c: float = 32.0) -> Any:
    if len(set(examples.labels)) < 2:
        raise ValueError("the crisis model needs examples of danger and of ordinary messages")
    model = build(c)
    model.fit(examples.texts, examples.labels)
    return model


class _Part(NamedTuple):
    analyzer: Any  # the vectorizer's own text -> n-grams callable
    weights: dict[str, tuple[float, float]]  # n-gram -> (idf, the classifier's weight)
    sublinear: bool


class Scorer:
    """The trained pipeline's probability for one message, computed from its vocabularies,
    IDF weights and coefficients directly: the same number as `predict_proba` (a test
    checks), in a fifth of the CPU. scikit-learn's per-call checks and sparse matrices
    cost about 1 ms a message, 8% of the Rasa process's CPU for a turn (benchmarks/load.py
    measures a turn), for a model that scores one short text at a time."""

    def __init__(self, model: Any) -> None:
        classifier = model.named_steps["classifier"]
        coefficients = classifier.coef_[0]
        self.intercept = float(classifier.intercept_[0])
        self.parts: list[_Part] = []
        offset = 0
        for _, vectorizer in model.named_steps["features"].transformer_list:
            idf = vectorizer.idf_
            weights = {gram: (float(idf[i]), float(coefficients[offset + i]))
                       for gram, i in vectorizer.vocabulary_.items()}
            self.parts.append(_Part(vectorizer.build_analyzer(), weights, bool(vectorizer.sublinear_tf)))
            offset += len(vectorizer.vocabulary_)

    def score(self, text: str) -> float:
        if not text or not text.strip():
            return 0.0
        decision = self.intercept
        for part in self.parts:
            counts: dict[str, int] = {}
            for gram in part.analyzer(text):
                if gram in part.weights:
                    counts[gram] = counts.get(gram, 0) + 1
            values = []
            for gram, count in counts.items():
                idf, weight = part.weights[gram]
                tf = 1.0 + math.log(count) if part.sublinear else float(count)
                values.append((tf * idf, weight))
            norm = math.sqrt(sum(v * v for v, _ in values))  # TfidfVectorizer's l2 norm
            if norm:
                decision += sum(v * w for v, w in values) / norm
        if decision >= 0:  # the logistic function, without overflow either way
            return 1.0 / (1.0 + math.exp(-decision))
        odds = math.exp(decision)
        return odds / (1.0 + odds)

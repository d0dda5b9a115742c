"""The binary crisis model (bot/nlu/crisis_model.py), its Rasa component
(bot/rasa/crisis.py) and how SafetyOverride reads its score."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.nlu import crisis_model
from bot.rasa.components import model_sees_danger

ROOT = Path(__file__).resolve().parents[2]
KINDS = {"self-harm", "suicidal", "wants-to-die", "abuse-home", "adult-at-school", "sexual-abuse", "fight-injury",
         "weapon", "threat", "runaway-missing", "overdose", "stalking", "trafficking-grooming"}

DANGER = ["he cut himself again with a razor", "she swallowed a bottle of pills", "a man keeps following her home",
          "my son brought a gun to school", "her stepdad hits her with a belt", "he says he wants to kill himself"]
ORDINARY = ["what time does the bus come", "is there tutoring for math", "when is the next parent meeting",
            "how do i see his grades online", "she needs help with reading", "can i talk to the principal"]


def write(directory: Path, name: str, data: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def small_data(directory: Path) -> Path:
    write(directory, "en.yml", {"crisis": {"self-harm": DANGER[:3], "weapon": DANGER[3:]}, "not_crisis": ORDINARY})
    return directory


def test_examples_are_read_by_kind_and_labeled(tmp_path: Path) -> None:
    examples = crisis_model.load_examples(small_data(tmp_path))
    assert examples.texts == DANGER + ORDINARY
    assert examples.labels == [1] * len(DANGER) + [0] * len(ORDINARY)


def test_intent_examples_add_crisis_as_danger_and_the_rest_as_not() -> None:
    examples = crisis_model.with_intent_examples(crisis_model.Examples(["a"], [0]),
                                                 [("he has a knife", "crisis"), ("hi", "greet")])
    assert examples.labels == [0, 1, 0]


def test_the_fingerprint_follows_the_data(tmp_path: Path) -> None:
    before = crisis_model.data_fingerprint(small_data(tmp_path))
    assert crisis_model.data_fingerprint(tmp_path) == before
    write(tmp_path, "es.yml", {"not_crisis": ["a que hora sale el camion"]})
    assert crisis_model.data_fingerprint(tmp_path) != before


def test_one_class_is_refused() -> None:
    with pytest.raises(ValueError):
        crisis_model.train(crisis_model.Examples(ORDINARY, [0] * len(ORDINARY)))


def test_danger_scores_above_ordinary_and_nothing_for_an_empty_message(tmp_path: Path) -> None:
    scorer = crisis_model.Scorer(crisis_model.train(crisis_model.load_examples(small_data(tmp_path))))
    texts = ["he cut himself with a razor again", "what time is the parent meeting", "", "   "]
    danger, ordinary, empty, spaces = (scorer.score(t) for t in texts)
    assert danger > 0.5 > ordinary
    assert empty == spaces == 0.0


@pytest.mark.parametrize(
    "score, entities, expected",
    [
        (0.91, [], True),
        (0.70, [{"entity": "grade", "value": "5"}], True),
        (0.69, [], False),
        (None, [], False),  # no crisis model in the pipeline
        (0.95, [{"entity": "priority", "value": "2D"}], False),  # a journey topic: the same check as the classifier's
    ],
)
def test_safety_reads_the_score_at_its_threshold(score, entities, expected) -> None:
    assert model_sees_danger(score, entities, 0.7) is expected


# --------------------------------------------------------------------------- the shipped data
@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_shipped_data_covers_every_kind_in_both_languages(lang: str) -> None:
    data = yaml.safe_load((ROOT / "data" / "crisis" / f"{lang}.yml").read_text(encoding="utf-8"))
    assert set(data["crisis"]) == KINDS
    assert all(len(texts) >= 15 for texts in data["crisis"].values())
    assert len(data["not_crisis"]) >= 200
    danger = {" ".join(t.lower().split()) for texts in data["crisis"].values() for t in texts}
    ordinary = {" ".join(t.lower().split()) for t in data["not_crisis"]}
    assert not danger & ordinary


def test_the_shipped_data_holds_no_phone_number() -> None:
    phone = re.compile(r"\d{3}[\s.-]?\d{3}[\s.-]?\d{4}")
    for path in (ROOT / "data" / "crisis").glob("*.yml"):
        assert not phone.search(path.read_text(encoding="utf-8")), path.name


# --------------------------------------------------------------------------- the Rasa component
def test_the_component_trains_persists_loads_and_scores(tmp_path: Path) -> None:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.rasa.crisis import CRISIS_SCORE, CrisisClassifier

    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    resource = Resource("crisis")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {"data": str(small_data(tmp_path / "data"))}
    trained = CrisisClassifier.create(config, storage, resource, context)
    trained.train(TrainingData([Message(data={"text": "she took all the pills", "intent": "crisis"}),
                                Message(data={"text": "hello there", "intent": "greet"})]))
    loaded = CrisisClassifier.load(config, storage, resource, context)
    danger, ordinary = Message(data={"text": "he cut himself with a razor"}), Message(data={"text": "when is lunch"})
    loaded.process([danger, ordinary])
    assert danger.get(CRISIS_SCORE) > ordinary.get(CRISIS_SCORE)
    assert CRISIS_SCORE not in danger.as_dict(only_output_properties=True)  # kept out of the parse result

    untrained = CrisisClassifier.load(config, storage, Resource("never-trained"), context)
    message = Message(data={"text": "he cut himself"})
    untrained.process([message])
    assert message.get(CRISIS_SCORE) is None


@pytest.mark.parametrize(
    "intent, entities, score, expected",
    [
        ("crisis", [], 0.29, True),  # the crisis model disagrees
        ("crisis", [], 0.30, False),
        ("crisis", [], None, False),  # no crisis model: only a topic overrules
        ("crisis", [{"entity": "priority", "value": "1D"}], 0.99, True),
        ("greet", [], 0.0, False),  # not a crisis to overrule
    ],
)
def test_the_classifiers_crisis_needs_the_models_confirmation(intent, entities, score, expected) -> None:
    from bot.rasa.components import classifier_crisis_overruled

    assert classifier_crisis_overruled({"name": intent, "confidence": 0.9}, entities, score, 0.3) is expected


@pytest.mark.parametrize(
    "text, expected",
    [("lol", True), ("his grade is murdering his gpa lol", True), ("jajaja ya me voy", True), ("jeje", True),
     ("hahaha", True), ("😂", True), ("lmaooo", True), ("xD", True),
     ("hola", False), ("lolly", False), ("ja", False), ("Alejandra", False), ("ajá", False), ("jk", False)],
)
def test_laughter_is_recognized_in_both_languages(text: str, expected: bool) -> None:
    from bot.rasa.components import is_laughing

    assert is_laughing(text) is expected


def verdict(lexicon=False, intent="choose_topic", entities=(), score=None, laughing=False):  # type: ignore[no-untyped-def]
    from bot.rasa.components import safety_verdict

    return safety_verdict(lexicon_fired=lexicon, intent_name=intent, entities=list(entities), score=score,
                          laughing=laughing, danger_threshold=0.6, confirm_threshold=0.3, sure_threshold=0.98)


TOPIC = [{"entity": "priority", "value": "2A"}]


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"lexicon": True}, "crisis"),  # the lexicon alone, always
        ({"lexicon": True, "entities": TOPIC, "score": 0.0}, "crisis"),
        ({"score": 0.6}, "crisis"),  # the model alone
        ({"score": 0.6, "entities": TOPIC}, None),  # ... not in a message about a journey topic
        ({"score": 0.97, "entities": TOPIC}, None),
        ({"score": 0.98, "entities": TOPIC}, "crisis"),  # ... unless all but certain
        ({"intent": "crisis", "score": 0.31}, None),  # the classifier, confirmed by the model: stays crisis
        ({"intent": "crisis", "score": 0.1}, "overruled"),
        ({"intent": "crisis", "score": None}, None),  # no model: only a topic overrules
        ({"intent": "crisis", "entities": TOPIC}, "overruled"),
        # laughing: two readers must agree
        ({"lexicon": True, "score": 0.05, "laughing": True}, None),
        ({"lexicon": True, "score": 0.4, "laughing": True}, "crisis"),
        ({"intent": "crisis", "score": 0.5, "laughing": True}, "overruled"),
        ({"intent": "crisis", "score": 0.9, "laughing": True}, "crisis"),
        ({"score": 0.99, "laughing": True}, None),
        ({"lexicon": True, "score": None, "laughing": True}, "crisis"),  # no model: laughter changes nothing
    ],
)
def test_the_safety_verdict(kwargs, expected) -> None:
    assert verdict(**kwargs) == expected


def test_the_fast_scorer_gives_the_pipelines_own_probability(tmp_path: Path) -> None:
    model = crisis_model.train(crisis_model.load_examples(small_data(tmp_path)))
    scorer = crisis_model.Scorer(model)
    texts = DANGER + ORDINARY + ["HE CUT HIMSELF!!", "¿qué hora es?", "razor razor razor", "zzz", "a", "👍", "   ", ""]
    readable = [t for t in texts if t.strip()]
    assert [round(scorer.score(t), 9) for t in readable] == [round(p, 9) for p in model.predict_proba(readable)[:, 1]]
    assert scorer.score("   ") == scorer.score("") == 0.0


def test_the_fast_scorer_on_the_shipped_data() -> None:
    examples = crisis_model.load_examples(ROOT / "data" / "crisis")
    model = crisis_model.train(examples)
    scorer = crisis_model.Scorer(model)
    sample = examples.texts[::7]
    expected = model.predict_proba(sample)[:, 1]
    assert max(abs(scorer.score(t) - s) for t, s in zip(sample, expected, strict=True)) < 1e-9


def test_safety_override_takes_its_thresholds_from_the_config() -> None:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.resource import Resource

    from bot.rasa.components import SafetyOverride

    context = ExecutionContext(GraphSchema({}), "test")
    component = SafetyOverride.create({"danger_threshold": 0.7}, None, Resource("safety"), context)  # type: ignore[arg-type]
    assert (component.danger_threshold, component.confirm_threshold, component.sure_threshold) == (0.7, 0.3, 0.98)

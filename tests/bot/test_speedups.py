"""bot/rasa/speedups.py changes what Rasa costs, never what it decides: the same
verdicts as `jsonschema.validate` on the action server's answers, the same classes as
walking Event's subclasses."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from bot.rasa import speedups

speedups.install()

SLOT = {"event": "slot", "name": "grade", "value": "3", "timestamp": None}
ANSWERS = [
    {"events": [], "responses": []},
    {"events": [SLOT, {"event": "active_loop", "name": "plan_form"}],
     "responses": [{"response": "utter_plan", "buttons": [], "custom": {}}]},
    {},
    {"events": [{"event": "followup", "name": "action_listen"}, {"event": "reset_slots"}]},
    {"events": [{"event": "slot", "value": 3}]},           # a slot event without its name
    {"events": [{"event": "no_such_event"}]},              # an event type Rasa does not know
    {"events": "slot"},                                    # not a list
    {"responses": ["utter_plan"]},                         # a response that is not an object
    {"events": [{"name": "grade"}]},                       # no event type
    "not an object",
]


def rasa_verdict(answer) -> bool:
    try:
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize("answer", ANSWERS)
def test_action_answers_get_the_verdict_rasa_gives(answer):
    action = RemoteAction("action_plan", None)
    if rasa_verdict(answer):
        assert action._validate_action_result(answer) is True
    else:
        with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(answer)


def test_both_verdicts_occur_among_the_answers():
    assert {rasa_verdict(answer) for answer in ANSWERS} == {True, False}


def walked(type_name: str):
    return next((cls for cls in all_subclasses(Event) if cls.type_name == type_name), None)


@pytest.mark.parametrize("type_name", sorted({cls.type_name for cls in all_subclasses(Event)}))
def test_every_event_type_resolves_to_the_class_rasa_finds(type_name):
    assert Event.resolve_by_type(type_name) is walked(type_name)


def test_unknown_event_types_keep_rasas_answers():
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    assert Event.resolve_by_type("topic") is None


def test_install_is_idempotent():
    check = RemoteAction._validate_action_result
    speedups.install()
    assert RemoteAction._validate_action_result is check


# --------------------------------------------------------------------------- IntentRegression._create_X
def featurized(words: list[int], chars: list[int], dense: list[float] | None = None):
    """A message as the pipeline's featurizers leave it: per-token sequence features and a
    sentence row from each of two sparse featurizers (word and character n-grams), maybe a
    dense one."""
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={TEXT: "some text"})
    for origin, counts in (("words", words), ("chars", chars)):
        row = scipy.sparse.coo_matrix(np.array([counts], dtype=float))
        message.add_features(Features(scipy.sparse.coo_matrix(np.ones((2, len(counts)))), "sequence", TEXT, origin))
        message.add_features(Features(row, "sentence", TEXT, origin))
    if dense is not None:
        message.add_features(Features(np.array([dense]), "sentence", TEXT, "dense"))
    return message


def regression():
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from bot.rasa.components import IntentRegression

    config = {**IntentRegression.get_default_config()}
    return IntentRegression(config, "intents", LocalModelStorage("/tmp"), Resource("intents"))


@pytest.mark.parametrize("dense", [None, [0.5, -1.0]])
def test_the_feature_matrix_is_rasa_s(dense):
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    messages = [featurized([1, 0, 2], [0, 0, 1, 3], dense), featurized([0, 0, 0], [1, 1, 0, 0], dense),
                featurized([4, 1, 0], [0, 2, 0, 0], dense)]
    ours = regression()._create_X(messages)
    theirs = LogisticRegressionClassifier._create_X(regression(), messages)
    assert ours.shape == theirs.shape == (3, 7 + (2 if dense else 0))
    assert (ours != theirs).nnz == 0


def test_a_message_with_no_features_gets_no_intent():
    from bot.rasa.components import has_features

    assert has_features(featurized([0, 1, 0], [0, 0, 0, 0]))
    assert not has_features(featurized([0, 0, 0], [0, 0, 0, 0]))
    blank = featurized([0, 0, 0], [0, 0, 0, 0])
    regression().process([blank])
    assert blank.get("intent") == {"name": None, "confidence": 0.0}

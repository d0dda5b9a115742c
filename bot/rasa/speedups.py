"""Two costs Rasa 3.6 pays on every turn for nothing, found by profiling the Rasa process
under load (py-spy over benchmarks/load.py) and removed here without changing a result.

1. Every answer of the action server is checked with `jsonschema.validate`, which first
   checks Rasa's own fixed schema against the JSON Schema metaschema (about 18 ms on this
   machine, each time) and then builds a new validator. A turn calls the action server two
   to four times (form validation, then the action): this was two thirds of the process's
   busy time. Here the validator is built once; a response it refuses still goes through
   Rasa's own check, so the error and its message are Rasa's.
2. Turning a stored event back into an object looks its class up by walking every
   subclass of Event (with `inspect.isabstract` on each), for every event of a tracker
   read from the store. Here the lookup is a dict built once; a name it does not know
   (an event class defined later) goes to Rasa's own lookup.

`install()` runs when Rasa loads this project's channel, NLG or components; it is
idempotent. tests/bot/test_speedups.py checks both against Rasa's own functions."""
from __future__ import annotations

import functools
from typing import Any

_installed = False


@functools.lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    return validator_for(schema)(schema)


def _install_action_result_check() -> None:
    from rasa.core.actions.action import RemoteAction

    rasa_check = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if _action_response_validator().is_valid(result):
            return True
        return rasa_check(self, result)  # raises Rasa's ValidationError, with its message

    RemoteAction._validate_action_result = validate_action_result


@functools.lru_cache(maxsize=1)
def _event_classes() -> dict[str, Any]:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    classes: dict[str, Any] = {}
    for cls in all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)  # Rasa's lookup returns the first match too
    return classes


def _install_event_lookup() -> None:
    from rasa.shared.core.events import Event

    rasa_lookup = Event.resolve_by_type

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        found = _event_classes().get(type_name)
        return found if found is not None else rasa_lookup(type_name, default)

    Event.resolve_by_type = staticmethod(resolve_by_type)


def install() -> None:
    global _installed
    if not _installed:
        _install_action_result_check()
        _install_event_lookup()
        _installed = True

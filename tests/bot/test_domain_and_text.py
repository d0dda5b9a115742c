"""The domain, the actions and the content agree; no user-facing text in Python."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.guide.labels import load_labels

ROOT = Path(__file__).resolve().parents[2]
PYTHON_DIRS = ["actions", "bot", "api"]


def responses_used_in_code():
    used = set()
    for path in (ROOT / "actions").glob("*.py"):
        used |= set(re.findall(r'"(utter_[a-z0-9_]+)"', path.read_text()))
    return used


def test_every_response_the_actions_use_is_in_the_domain(domain):
    missing = responses_used_in_code() - set(domain["responses"]) - {"utter_action"}  # a metadata key
    assert not missing


def test_every_custom_action_is_declared(domain):
    declared = set(domain["actions"])
    named = set()
    for path in (ROOT / "actions").glob("*.py"):
        named |= set(re.findall(r'return "((?:action|validate)_[a-z_]+)"', path.read_text()))
    assert named == declared


def test_needs_menu_matches_the_labels_order(domain):
    buttons = domain["responses"]["utter_ask_needs"][0]["buttons"]
    labels = load_labels()
    assert [b["title"] for b in buttons] == [label for _, label in labels.needs]
    assert [re.search(r'"need": "(\w+)"', b["payload"]).group(1) for b in buttons] == list(labels.need_ids)


def test_the_needs_menu_offers_exactly_the_needs_the_guide_is_tagged_with():
    from bot.guide.model import NEEDS

    assert load_labels().need_ids == NEEDS + ("none",)


def test_form_ask_responses_or_actions_exist(domain):
    for form in domain["forms"].values():
        for slot in form["required_slots"]:
            assert f"utter_ask_{slot}" in domain["responses"] or f"action_ask_{slot}" in domain["actions"], slot


# Calls whose strings speak to developers and operators (logs, errors, command lines,
# Prometheus metrics' help), not to parents or staff.
DEVELOPER_CALLS = {"warning", "exception", "error", "info", "debug", "ArgumentParser", "print", "add_argument",
                   "SchoolDirectoryError", "ValueError", "KeyError", "Counter", "Histogram", "GaugeMetricFamily"}


def _sentences_in(path: Path):
    """String constants that read like prose: three or more words that start with a
    capital or end like a sentence (docstrings, log and exception messages excluded;
    lowercase vocabulary lists for parsers are data, not text)."""
    tree = ast.parse(path.read_text())
    skip = set()
    documented = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for node in ast.walk(tree):
        if isinstance(node, documented) and ast.get_docstring(node):
            skip.add(id(node.body[0].value))
        if isinstance(node, (ast.Call, ast.Raise)):
            func = getattr(node, "func", None)
            name = getattr(func, "attr", None) or getattr(func, "id", None) if func is not None else None
            if isinstance(node, ast.Raise) or name in DEVELOPER_CALLS:
                for sub in ast.walk(node):
                    skip.add(id(sub))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            value = node.value.strip()
            words = re.findall(r"[A-Za-zÁÉÍÓÚáéíóúñ]{2,}", value)
            reads_like_a_sentence = re.match(r"^[A-ZÁÉÍÓÚ¿¡][a-záéíóúñ]+ ", value) or re.search(r"[a-z][.?!:]$", value)
            if len(words) >= 3 and reads_like_a_sentence:
                yield node.lineno, node.value


# Every module that ships (devtools/, which talks to developers, is not among them).
@pytest.mark.parametrize(
    "path",
    [p for d in PYTHON_DIRS for p in sorted((ROOT / d).rglob("*.py"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_user_facing_sentences_in_python(path):
    allowed = {"a 'sender' string of 1-128 characters is required", "a 'message' string is required",
               "the assistant could not process this message"}
    prose = [(line, text) for line, text in _sentences_in(path)
             if text not in allowed and not text.startswith(("/", "%"))]
    assert not prose, prose


@pytest.mark.parametrize(("text", "noise"), [
    ("x" * 5000, True), ("zzz qqq", True), ("XXXX!!", True), ("ok", False), ("ttyl", False), ("ya", False),
    ("3rd", False), ("👍", False), ("", False), ("zzz but also my son", False),
])
def test_looks_like_noise(text, noise):
    from bot.text import looks_like_noise

    assert looks_like_noise(text) is noise


def test_blank_spans_keeps_offsets_and_keeps_words_apart():
    from bot.text import blank_spans

    assert blank_spans("3rd grade and reading", [(0, 9)]) == "          and reading"
    assert blank_spans("lunch menu, and math", [(0, 10), (12, 15)]) == "          ,     math"
    assert blank_spans("plain", []) == "plain"

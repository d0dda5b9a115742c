"""Whole free-text conversations against the real Rasa server and action server: each
parent turn is sent over the REST channel, the conversation's tracker is read back with
Rasa's HTTP API (GET /conversations/{id}/tracker) and its end state is compared with what
the conversation expects (language, pillar, priority, grade, needs, school given or not),
the plan shown last with the plan the planner makes for that child and topic, and the bot's
fallbacks are counted (two in a row is a loop).

As a script it prints, per language: how many conversations end with a plan that fits (every
expected field right, the plan shown and its questions the ones for the expected priority,
grade and needs), how many loop, the language of the bot's first reply, and each field's
accuracy. It never fails: every conversation is scored, errors included.

    python benchmarks/conversations.py                      # tests/heldout/conversations_{en,es}.yml
    python benchmarks/conversations.py tests/free_text/conversations_en.yml --details

A file's language is its name's suffix (conversations_es.yml) or else the first
conversation's expected language. --details adds one line per conversation that did not
end right (which field, which turn); never the parent's words, so a held-out set stays
unread. tests/free_text/test_conversations.py runs the same runner as tests.
Run after `make train` from the bot's environment (MODELS_DIR, BOT_VENV as for make).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import re
import secrets
import sys
import tempfile
import traceback
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script
from devtools.devstack import Stack  # noqa: E402

HELDOUT = ROOT / "tests" / "heldout"
DEFAULT_FILES = (HELDOUT / "conversations_en.yml", HELDOUT / "conversations_es.yml")
FIELDS = ("language", "pillar", "priority", "grade", "needs", "school_given")
SLOTS = ("language", "pillar", "priority", "grade", "needs", "school", "requested_slot")
# The bot's "I didn't understand" answers: the rephrase prompts and the specific hints
# ("Please send the grade as ...") the form's validation sends instead.
FALLBACK_PREFIXES = ("utter_rephrase", "utter_invalid")
LANGUAGE_CHOICE = "utter_choose_language"  # the first-contact question, in both languages
SHOWN = 240  # characters of each bot message in a transcript


def numbers(turns: Iterable[int]) -> str:
    return ",".join(map(str, turns))


def is_fallback(response: str) -> bool:
    return response.startswith(FALLBACK_PREFIXES)


def is_rephrase(response: str) -> bool:
    return response.startswith(FALLBACK_PREFIXES[0])


# --- the stack, with Rasa's HTTP API -----------------------------------------------------


class ApiStack(Stack):
    """devtools' Stack (the real action server and Rasa server) with Rasa's HTTP API on,
    behind a random token and on 127.0.0.1 only, to read a conversation's tracker."""

    def __init__(self, tmp: Path, env: dict[str, str] | None = None) -> None:
        super().__init__(tmp, env)
        self.token = secrets.token_urlsafe(24)

    @classmethod
    @contextlib.contextmanager
    def serving(cls, tmp: Path) -> Iterator[ApiStack]:
        """Stack.running, typed as this class."""
        with cls.running(tmp) as stack:
            assert isinstance(stack, ApiStack)
            yield stack

    def _spawn(self, name: str, command: list[str], health_url: str, seconds: float) -> Any:
        if command[0] == "rasa":
            command = [*command, "--enable-api", "--auth-token", self.token]
        return super()._spawn(name, command, health_url, seconds)

    def tracker(self, sender: str) -> dict[str, Any]:
        query = urllib.parse.urlencode({"token": self.token})
        url = f"{self.url}/conversations/{urllib.parse.quote(sender, safe='')}/tracker?{query}"
        with urllib.request.urlopen(url, timeout=60) as response:
            return json.loads(response.read().decode("utf-8"))


# --- conversations -----------------------------------------------------------------------


def load_conversations(path: Path) -> list[dict[str, Any]]:
    """A conversations file: a list of {name, turns, expect}, read as data only."""
    loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    return [c for c in loaded if isinstance(c, dict)]


def file_language(path: Path, conversations: list[dict[str, Any]]) -> str:
    match = re.search(r"_([a-z]{2})$", Path(path).stem)
    if match:
        return match.group(1)
    return str((conversations[0].get("expect") or {}).get("language", "?")) if conversations else "?"


def normalized_expect(expect: dict[str, Any]) -> dict[str, Any]:
    """The expected end state, each field in the shape it is compared in."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        if name not in expect:
            continue
        value = expect[name]
        if name == "needs":
            out[name] = sorted({str(n) for n in (value or []) if n and n != "none"})
        elif name == "school_given":
            out[name] = bool(value)
        elif name in ("grade", "priority"):
            out[name] = str(value).upper()
        else:
            out[name] = str(value)
    return out


def observed(slots: dict[str, Any]) -> dict[str, Any]:
    """The same fields read from the tracker's slots. Needs and school are None while
    their question is unanswered (never the same as "none apply" or "skipped")."""
    needs = slots.get("needs")
    school = slots.get("school")
    return {
        "language": slots.get("language"),
        "pillar": None if slots.get("pillar") is None else str(slots["pillar"]),
        "priority": None if slots.get("priority") is None else str(slots["priority"]).upper(),
        "grade": None if slots.get("grade") is None else str(slots["grade"]).upper(),
        "needs": None if needs is None else sorted({str(n) for n in needs if n and n != "none"}),
        "school_given": None if school is None else bool(school),
    }


@dataclass
class Turn:
    parent: str
    intent: str | None
    responses: list[str]  # the domain responses the bot sent (utter_action), in order
    texts: list[str]
    language: str | None  # the language the bot's first message of the turn was in
    slots: dict[str, Any]  # SLOTS after the turn

    @property
    def fallbacks(self) -> list[str]:
        return [r for r in self.responses if is_fallback(r)]


@dataclass
class Outcome:
    name: str
    file_language: str
    expect: dict[str, Any]
    turns: list[Turn] = field(default_factory=list)
    got: dict[str, Any] = field(default_factory=dict)
    plan: dict[str, Any] | None = None
    plan_turn: int | None = None
    plan_problem: str | None = "not run"
    error: str | None = None

    # fields
    def field_right(self, name: str) -> bool:
        return name in self.expect and self.got.get(name) == self.expect[name]

    @property
    def wrong_fields(self) -> list[str]:
        return [name for name in self.expect if not self.field_right(name)]

    # loops
    @property
    def loops(self) -> list[int]:
        """Turns (1-based) whose bot answer was a fallback right after a fallback."""
        return [n for n in range(2, len(self.turns) + 1)
                if self.turns[n - 2].fallbacks and self.turns[n - 1].fallbacks]

    @property
    def repeated_fallback(self) -> list[int]:
        """Turns whose fallback text is the very one of the turn before."""
        def said(turn: Turn) -> set[str]:
            return {t for r, t in zip(turn.responses, turn.texts, strict=True) if is_fallback(r)}
        return [n for n in range(2, len(self.turns) + 1) if said(self.turns[n - 2]) & said(self.turns[n - 1])]

    @property
    def rephrases(self) -> int:
        return sum(1 for turn in self.turns for r in turn.responses if is_rephrase(r))

    @property
    def first_reply_language(self) -> str:
        if not self.turns:
            return "no reply"
        first = self.turns[0]
        if LANGUAGE_CHOICE in first.responses:
            return "both"
        return first.language or "unset"  # no language yet: the NLG writes English

    @property
    def plan_fits(self) -> bool:
        return self.plan is not None and self.plan_problem is None

    @property
    def all_right(self) -> bool:
        """Ends with a plan that fits: every expected field right, the plan right."""
        return self.error is None and not self.wrong_fields and self.plan_fits

    @property
    def passed(self) -> bool:
        """all_right, and no loop: what the test asserts."""
        return self.all_right and not self.loops and not self.repeated_fallback

    # reporting
    def _where(self, name: str) -> str:
        """When the field took its final value, or where it was asked and not understood."""
        slot = "school" if name == "school_given" else name
        values = [observed(t.slots)[name] for t in self.turns]
        final = self.got.get(name)
        if final is None:
            asked = [n for n, t in enumerate(self.turns[:-1], 2) if t.slots.get("requested_slot") == slot]
            missed = [n for n in asked if self.turns[n - 1].fallbacks]
            if asked:
                understood = f", not understood at {numbers(missed)}" if missed else ""
                return f"asked at turn(s) {numbers(asked)}{understood}"
            waiting = self.turns[-1].slots.get("requested_slot") if self.turns else None
            return f"never asked; the bot ends asking for {waiting}" if waiting else "never asked"
        since = len(values)
        while since > 1 and values[since - 2] == final:
            since -= 1
        turn = self.turns[since - 1]
        return f"set at turn {since} (read as {turn.intent})"

    def why(self) -> str:
        """One line: what went wrong, with the turn, without the parent's words."""
        if self.error:
            return f"error: {self.error}"
        problems = [f"{name}: expected {self.expect[name]!r}, got {self.got.get(name)!r} ({self._where(name)})"
                    for name in self.wrong_fields]
        if self.plan_problem:
            problems.append(f"plan: {self.plan_problem}")
        if self.loops:
            problems.append(f"loop: two fallbacks in a row at turn(s) {numbers(self.loops)}")
        if self.repeated_fallback:
            problems.append(f"the same fallback twice in a row at turn(s) {numbers(self.repeated_fallback)}")
        return "; ".join(problems) or "ok"

    def transcript(self) -> str:
        lines = []
        for n, turn in enumerate(self.turns, 1):
            lines.append(f"{n:>2}. parent: {turn.parent!r}  [{turn.intent}]")
            for response, text in zip(turn.responses, turn.texts, strict=True):
                shown = " ".join(text.split())
                shown = shown if len(shown) <= SHOWN else shown[:SHOWN] + "..."
                lines.append(f"      bot ({response}): {shown}")
            slots = {k: v for k, v in turn.slots.items() if v not in (None, [], "")}
            lines.append(f"      slots: {slots}")
        return "\n".join(lines)

    def report(self) -> str:
        return (f"{self.file_language}/{self.name}: {self.why()}\nexpected {self.expect}\ngot      {self.got}\n"
                f"rephrases: {self.rephrases}\n{self.transcript()}")


def turn_from_state(parent: str, state: dict[str, Any]) -> Turn:
    """The parent's turn as the tracker has it: the message's intent and the bot's
    events after it (the last user event; a rephrase reverts it but keeps it listed)."""
    events = state.get("events") or []
    users = [n for n, e in enumerate(events) if e.get("event") == "user"]
    start = users[-1] if users else -1
    intent = None
    if users:
        intent = ((events[start].get("parse_data") or {}).get("intent") or {}).get("name")
    bots = [e for e in events[start + 1:] if e.get("event") == "bot"]
    slots = state.get("slots") or {}
    return Turn(
        parent=parent,
        intent=intent,
        responses=[str((e.get("metadata") or {}).get("utter_action") or "?") for e in bots],
        texts=[e.get("text") or "" for e in bots],
        language=next(((e.get("metadata") or {}).get("language") for e in bots), None),
        slots={name: slots.get(name) for name in SLOTS},
    )


def last_plan(state: dict[str, Any]) -> tuple[dict[str, Any] | None, int | None]:
    """The plan the bot showed last (a plan message carries it as data) and its turn."""
    plan, turn, users = None, None, 0
    for event in state.get("events") or []:
        if event.get("event") == "user":
            users += 1
        elif event.get("event") == "bot" and isinstance((event.get("metadata") or {}).get("plan"), dict):
            plan, turn = event["metadata"]["plan"], users
    return plan, turn


def plan_problem(state: dict[str, Any], plan: dict[str, Any] | None, expect: dict[str, Any]) -> str | None:
    """Whether the plan shown last is the one actions/plan.py builds for the expected
    priority, grade and needs (the tracker's own where the conversation expects none),
    in the conversation's language."""
    if plan is None:
        return "no plan was shown"
    from rasa_sdk import Tracker

    from actions import common
    from bot.planner import Profile, build_plan

    slots = state.get("slots") or {}
    got = observed(slots)
    priority = expect.get("priority", got["priority"])
    grade = expect.get("grade", got["grade"])
    needs = expect.get("needs", got["needs"] or [])
    language = expect.get("language", got["language"])
    if str(plan.get("priority", "")).upper() != priority:
        return f"it is about {plan.get('priority')}, not {priority}"
    if language and plan.get("language") != language:
        return f"it is in {plan.get('language')}, the conversation ends in {language}"
    expected = build_plan(common.guide(), common.personalized(), priority, Profile(grade=grade, needs=tuple(needs)))
    tracker = Tracker.from_dict({**state, "slots": {**slots, "language": plan.get("language")}})
    want = [common.item_text(tracker, item) for item in expected.items]
    shown = [q.get("text") for q in plan.get("questions") or []]
    if shown != want:
        missing = len([q for q in want if q not in shown])
        extra = len([q for q in shown if q not in want])
        how = "in another order" if not missing and not extra else f"{missing} missing, {extra} not expected"
        return (f"its questions are not those for {priority}, grade {grade}, needs {list(needs) or 'none'} "
                f"({how}; {len(shown)} shown)")
    return None


def run_conversation(stack: ApiStack, conversation: dict[str, Any], file_lang: str, sender: str | None = None
                     ) -> Outcome:
    outcome = Outcome(
        name=str(conversation.get("name", "?")),
        file_language=file_lang,
        expect=normalized_expect(conversation.get("expect") or {}),
    )
    sender = sender or f"conv-{uuid.uuid4().hex[:12]}"
    try:
        state: dict[str, Any] = {}
        for text in conversation.get("turns") or []:
            stack.say(sender, str(text))
            state = stack.tracker(sender)
            outcome.turns.append(turn_from_state(str(text), state))
        outcome.got = observed(state.get("slots") or {})
        outcome.plan, outcome.plan_turn = last_plan(state)
        outcome.plan_problem = plan_problem(state, outcome.plan, outcome.expect)
    except Exception as error:  # noqa: BLE001 - a benchmark scores the failure and goes on
        outcome.error = f"{type(error).__name__}: {error}"
        outcome.plan_problem = outcome.plan_problem or "not run"
        traceback.print_exc(limit=3, file=sys.stderr)
    return outcome


# --- the benchmark ---------------------------------------------------------------------------


def summary(lang: str, outcomes: list[Outcome]) -> list[str]:
    n = len(outcomes)

    def share(k: int, of: int) -> str:
        return f"{k}/{of} ({100 * k / of:.0f}%)" if of else "0/0"

    fits = sum(o.all_right for o in outcomes)
    loops = sum(bool(o.loops) for o in outcomes)
    firsts = Counter(o.first_reply_language for o in outcomes)
    lines = [
        f"[{lang}] {n} conversations, {sum(len(o.turns) for o in outcomes)} turns",
        f"  end with a plan that fits (every expected field right): {share(fits, n)}",
        f"  loop (two fallbacks in a row): {share(loops, n)}; rephrase prompts: {sum(o.rephrases for o in outcomes)}",
        f"  first reply in {lang}: {share(firsts.get(lang, 0), n)}  (all: "
        + ", ".join(f"{k} {v}" for k, v in sorted(firsts.items())) + ")",
    ]
    accuracy = []
    for name in FIELDS:
        scored = [o for o in outcomes if name in o.expect]
        if scored:
            accuracy.append(f"{name} {share(sum(o.field_right(name) for o in scored), len(scored))}")
    accuracy.append(f"plan shown {share(sum(o.plan is not None for o in outcomes), n)}")
    accuracy.append(f"plan fits {share(sum(o.plan_fits for o in outcomes), n)}")
    lines.append("  per field: " + ", ".join(accuracy))
    errors = sum(o.error is not None for o in outcomes)
    if errors:
        lines.append(f"  errors: {errors}")
    return lines


def run_files(stack: ApiStack, paths: Iterable[Path]) -> Iterator[tuple[str, list[Outcome]]]:
    for path in paths:
        conversations = load_conversations(path)
        lang = file_language(path, conversations)
        yield lang, [run_conversation(stack, c, lang) for c in conversations]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, default=list(DEFAULT_FILES))
    parser.add_argument("--details", action="store_true", help="one line per conversation that did not end right")
    args = parser.parse_args(argv)
    paths = [p for p in args.files if p.exists()]
    for missing in set(args.files) - set(paths):
        print(f"conversations: no file {missing}")
    try:
        with tempfile.TemporaryDirectory() as tmp, ApiStack.serving(Path(tmp)) as stack:
            by_language: dict[str, list[Outcome]] = {}
            for lang, outcomes in run_files(stack, paths):
                by_language.setdefault(lang, []).extend(outcomes)
    except Exception as error:  # noqa: BLE001 - never fails: say why nothing was measured
        print(f"conversations: could not run the stack: {type(error).__name__}: {str(error)[:500]}")
        return 0
    shown = [str(p.resolve().relative_to(ROOT)) if p.resolve().is_relative_to(ROOT) else str(p) for p in paths]
    print("Whole free-text conversations (real Rasa + action server): " + ", ".join(shown))
    for lang, outcomes in by_language.items():
        for line in summary(lang, outcomes):
            print(line)
        if args.details:
            for outcome in outcomes:
                if not outcome.passed:
                    print(f"    {outcome.name}: {outcome.why()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

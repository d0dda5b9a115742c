"""Numbered menus: a parent on a basic phone answers "2" instead of tapping a button.

Pure functions shared by the Rasa channel (bot/rasa/channels.py) and the form validators.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

# "2", "2.", "#2", "(2)", "2)", "option 2", "opcion 2", "opción 2", "numero 2", "no. 2"
_MENU_REPLY = re.compile(
    r"^\s*(?:(?:option|opci[oó]n|n[uú]mero|number|no\.?|num\.?|#)\s*)?\(?\s*(\d{1,2})\s*[.)]?\s*$",
    re.IGNORECASE,
)
_NUMBERS = re.compile(r"\d{1,2}")


def parse_menu_number(text: str | None) -> int | None:
    """The number of a reply that is only a menu choice, else None."""
    if not text:
        return None
    match = _MENU_REPLY.match(text)
    return int(match.group(1)) if match else None


def parse_number_list(text: str | None, upper: int) -> list[int]:
    """Every number 1..upper in a reply like "1 3", "1,3" or "1 and 3", in order, once.
    Returns [] when the reply holds anything but numbers and separators."""
    if not text:
        return []
    leftover = _NUMBERS.sub(" ", text.lower())
    if re.sub(r"[\s,;/&+.y]|and", "", leftover):
        return []
    numbers = []
    for raw in _NUMBERS.findall(text):
        value = int(raw)
        if 1 <= value <= upper and value not in numbers:
            numbers.append(value)
    return numbers


def pick_button(text: str | None, buttons: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The button a numbered reply chooses from the buttons last shown, if any."""
    number = parse_menu_number(text)
    if number is None or not 1 <= number <= len(buttons):
        return None
    return buttons[number - 1]


def last_menu(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The buttons the bot sent since the parent's last message (tracker events as
    dicts, oldest first): the menu a bare number refers to."""
    buttons: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            buttons = []
        elif kind == "bot":
            shown = (event.get("data") or {}).get("buttons") or []
            if shown:
                buttons = list(shown)  # a later menu replaces an earlier one
    return buttons

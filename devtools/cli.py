"""A terminal chat over the REST channel (`make shell`): prints the bot's messages and
its buttons as a numbered menu, the way an SMS parent sees them. Standard library only."""
from __future__ import annotations

import argparse
import json
import sys
import urllib.request
import uuid
from typing import Any


def send(url: str, sender: str, text: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    body = json.dumps({"sender": sender, "message": text}).encode("utf-8")
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def render(messages: list[dict[str, Any]]) -> str:
    lines = []
    for message in messages:
        if message.get("text"):
            lines.append(message["text"])
        for number, button in enumerate(message.get("buttons") or [], 1):
            lines.append(f"  {number}) {button.get('title', '')}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    args = parser.parse_args()
    sender = f"terminal-{uuid.uuid4().hex[:12]}"
    print("Type a message (or a menu number). Ctrl-D or /quit to leave.\n")
    while True:
        try:
            text = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if text in ("/quit", "/exit"):
            return
        if not text:
            continue
        try:
            print("\n" + render(send(args.url, sender, text)) + "\n")
        except OSError as error:
            print(f"(the bot did not answer: {error})", file=sys.stderr)


if __name__ == "__main__":
    main()

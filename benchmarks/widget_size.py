"""Prints the chat widget's size as a browser downloads it: widget.js and widget.css, raw
and gzipped (level 9, what a server's compression gets close to), beside the common Rasa
chat widgets for reference. No server needed: `python benchmarks/widget_size.py`."""
from __future__ import annotations

import gzip
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parents[1] / "api" / "chat" / "static"
FILES = ("widget.js", "widget.css")
BUDGET_KB = 20.0  # issue 9: "aim under 20 kB" gzipped
# Issue 9's own figure for the common Rasa web-chat widgets (bundles with a UI framework).
REFERENCE = "common Rasa chat widgets: 100-700 kB (issue 9)"


def sizes(path: Path) -> tuple[int, int]:
    """(raw bytes, gzipped bytes at level 9)."""
    body = path.read_bytes()
    return len(body), len(gzip.compress(body, compresslevel=9, mtime=0))


def kb(size: int) -> str:
    return f"{size / 1024:.1f} kB"


def main() -> None:
    total_raw = total_gzip = 0
    for name in FILES:
        raw, gzipped = sizes(STATIC_DIR / name)
        total_raw += raw
        total_gzip += gzipped
        print(f"{name:<12} {kb(raw):>9} raw  {kb(gzipped):>9} gzipped")
    verdict = "under" if total_gzip / 1024 < BUDGET_KB else "OVER"
    print(f"{'total':<12} {kb(total_raw):>9} raw  {kb(total_gzip):>9} gzipped ({verdict} the {BUDGET_KB:.0f} kB aim)")
    print(f"reference: {REFERENCE}")


if __name__ == "__main__":
    main()

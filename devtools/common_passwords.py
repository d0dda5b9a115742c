"""Writes api/staff/data/common_passwords.txt from the zxcvbn package's password list
(a development tool: `pip install zxcvbn==4.5.0` in a scratch environment, then
`python devtools/common_passwords.py`). The api ships the file, not the package."""
from __future__ import annotations

from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-not-found]

TARGET = Path(__file__).resolve().parents[1] / "api" / "staff" / "data" / "common_passwords.txt"
HEADER = """# Common passwords, most common first: the 30,000 of zxcvbn 4.5.0's "passwords" list
# (MIT license; itself from published password leaks). A staff password is refused when it
# is one of them, or is one with digits and symbols added around it (api/staff/passwords.py).
# Made by devtools/common_passwords.py; one lower-case password a line.
"""


def main() -> None:
    passwords = dict.fromkeys(p.strip().lower() for p in FREQUENCY_LISTS["passwords"] if p.strip())
    TARGET.write_text(HEADER + "\n".join(passwords) + "\n", encoding="utf-8")
    print(f"{len(passwords)} passwords written to {TARGET}")


if __name__ == "__main__":
    main()

"""Writes an environment's two lock files from what is installed in it (run by
`make lock-bot` / `make lock-api` with that environment's Python):

- requirements/<name>.lock: every installed package that the runtime requirements
  (requirements/<name>.in) need, transitively; the images install only this.
- requirements/<name>-dev.lock: `-r <name>.lock` plus what only the development and
  test tools (requirements/<name>-dev.in) need.

Pins are `pip freeze`'s, so nothing is upgraded by locking. A package installed that
neither file asks for is an error (it would otherwise be locked by accident).
Usage: python scripts/lib/split_lock.py requirements/bot
"""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# Installed with the interpreter or by pip itself, never pinned (pip freeze skips them too).
UNPINNED = frozenset({"pip", "setuptools", "wheel", "distribute"})


def roots(in_file: Path) -> list[Requirement]:
    """The requirements a .in file names (its `-r` lines are the other file's business)."""
    found = []
    for line in in_file.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            found.append(Requirement(line))
    return found


def closure(requirements: Iterable[Requirement]) -> set[str]:
    """Canonical names of the installed distributions the requirements pull in, with
    their extras and environment markers evaluated."""
    installed: dict[str, metadata.Distribution] = {
        canonicalize_name(d.metadata["Name"]): d for d in metadata.distributions()
    }
    todo: list[tuple[str, frozenset[str]]] = [(canonicalize_name(r.name), frozenset(r.extras)) for r in requirements]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = installed.get(name)
        if dist is None:
            raise SystemExit(f"{name} is required but not installed: install the .in files first")
        for text in dist.requires or []:
            requirement = Requirement(text)
            environments = [{"extra": extra} for extra in sorted(extras or {""})]
            if requirement.marker and not any(requirement.marker.evaluate(env) for env in environments):
                continue
            todo.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return {name for name, _ in seen}


def frozen() -> dict[str, str]:
    """canonical name -> `Name==version` line, as pip freeze writes it."""
    lines = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable", "--disable-pip-version-check"],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()
    pins: dict[str, str] = {}
    for line in lines:
        if "==" not in line:
            raise SystemExit(f"cannot lock {line!r}: not a released package")
        pins[canonicalize_name(line.split("==", 1)[0])] = line
    return pins


def split(base: Path) -> tuple[list[str], list[str]]:
    runtime_in, dev_in = base.with_suffix(".in"), base.with_name(base.name + "-dev.in")
    pins = frozen()
    runtime = closure(roots(runtime_in)) - UNPINNED
    dev = closure(roots(dev_in)) - UNPINNED - runtime
    stray = sorted(set(pins) - runtime - dev)
    if stray:
        raise SystemExit(f"installed but asked for by neither {runtime_in} nor {dev_in}: {', '.join(stray)}")
    missing = sorted((runtime | dev) - set(pins))
    if missing:
        raise SystemExit(f"needed but not pinned by pip freeze: {', '.join(missing)}")
    return pinned(pins, runtime), pinned(pins, dev)


def pinned(pins: dict[str, str], names: Iterable[str]) -> list[str]:
    return [pins[name] for name in sorted(names)]


def main(base: Path) -> None:
    runtime, dev = split(base)
    lock, dev_lock = base.with_suffix(".lock"), base.with_name(base.name + "-dev.lock")
    header = f"# Written by scripts/lib/split_lock.py from {{}} (pip freeze): run make lock-{base.name}, do not edit.\n"
    lock.write_text(header.format(base.with_suffix(".in").name) + "\n".join(runtime) + "\n", encoding="utf-8")
    dev_lock.write_text(
        header.format(base.name + "-dev.in") + f"-r {lock.name}\n" + "\n".join(dev) + "\n", encoding="utf-8"
    )
    print(f"{lock}: {len(runtime)} packages; {dev_lock}: {len(dev)} more", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]))

"""The Jinja environment of a folder of page templates, the same for every page the api
serves: every value autoescaped (the pages show untrusted text), a missing variable an
error, not an empty string. Built on first use per folder, never at import time."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined


@lru_cache(maxsize=8)
def page_templates(directory: Path) -> Environment:
    return Environment(loader=FileSystemLoader(str(directory)), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)

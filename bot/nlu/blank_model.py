"""Builds the blank spaCy pipelines Rasa's SpacyNLP loads (no pretrained model can be
downloaded here): spaCy's language-aware tokenizer plus a lookup lemmatizer whose
tables come from spacy-lookups-data, so "missing", "misses" and "missed" share a
feature. Written to build/spacy/<lang>_blank (config.yml points there); rebuilt only
when missing. Run by `make setup` / scripts/setup_bot.sh.
"""
from __future__ import annotations

import sys
from pathlib import Path

from bot.i18n import PROJECT_ROOT

LANGUAGES = ("en", "es")
BUILD_DIR = PROJECT_ROOT / "build" / "spacy"


def model_dir(lang: str, build_dir: Path = BUILD_DIR) -> Path:
    return build_dir / f"{lang}_blank"


def build(lang: str, build_dir: Path = BUILD_DIR) -> Path:
    import spacy

    target = model_dir(lang, build_dir)
    if (target / "meta.json").exists():
        return target
    nlp = spacy.blank(lang)
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.meta["name"] = f"{lang}_blank_lookup_lemmas"
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    return target


if __name__ == "__main__":
    for language in LANGUAGES:
        print(f"spaCy pipeline ready: {build(language).relative_to(PROJECT_ROOT)}", file=sys.stderr)

"""Text helpers shared by the bot and the api (pure, no rasa)."""
from __future__ import annotations

import unicodedata


def without_accents(text: str) -> str:
    """"Inglés" -> "Ingles", "niño" -> "nino": parents often type without accents, so
    words are compared folded. NFKD also splits ligatures and full-width forms."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))

"""Small text utilities: the demo's Python tools (standard library only)."""

import re
import unicodedata


def word_count(text: str) -> dict:
    """Count the words, lines and characters of a text.

    Args:
        text: The text to measure.
    """
    return {
        "words": len(re.findall(r"\S+", text)),
        "lines": text.count("\n") + 1 if text else 0,
        "characters": len(text),
    }


def slugify(title: str, separator: str = "-") -> str:
    """Turn a title into a URL-friendly slug.

    Args:
        title: Any text, e.g. "Hello, World!".
        separator: What joins the words.
    """
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return separator.join(words)


def health() -> str:
    """Answers "ok": a safe tool for health checks."""
    return "ok"

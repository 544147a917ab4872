"""Input checks before anything is written: names, codes, notes, birth year, mass, sex; terminal-safe text."""

from __future__ import annotations

from datetime import datetime, timezone

from balance.app.store.errors import StoreError

#: Longest athlete name or code accepted (characters).
MAX_LABEL_CHARS = 100


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (ANSI escapes, CR, LF) and undecodable
    bytes (surrogates) become U+FFFD, so a name can neither move the cursor nor crash a print."""
    import unicodedata

    if text.isprintable():
        return text
    return "".join(
        c if c == " " or unicodedata.category(c) not in ("Cc", "Cs", "Zl", "Zp") else "\ufffd" for c in text
    )


def _check_text(what: str, text: str | None, *, max_chars: int | None = MAX_LABEL_CHARS, lines: bool = False) -> None:
    """Refuse a name, code or note that is too long, not valid text, or holds control characters."""
    import unicodedata

    if text is None:
        return
    if max_chars is not None and len(text) > max_chars:
        raise StoreError(f"the {what} is {len(text)} characters long: give at most {max_chars}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise StoreError(
            f"the {what} {printable(text)!r} holds bytes that are not valid text (not UTF-8): type it again"
        ) from None
    allowed = "\n\t" if lines else ""
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in text):
        raise StoreError(
            f"the {what} {printable(text)!r} holds control characters (escape sequences, line breaks): "
            "give plain text"
        )


def _check_person(birth_year: int | None, mass_kg: float | None) -> None:
    this_year = datetime.now(timezone.utc).year
    if birth_year is not None and not (1900 <= int(birth_year) <= this_year):
        raise StoreError(f"birth year {birth_year} is not plausible: give a four-digit year between 1900 and {this_year}")
    if mass_kg is not None and not (10.0 <= float(mass_kg) <= 300.0):
        raise StoreError(f"mass {mass_kg} kg is not plausible: give the body mass in kg (10 to 300)")


def _check_sex(sex: str | None) -> str | None:
    """'F', 'M' or None (from f/m/female/male, any case; '' clears)."""
    if sex is None or not sex.strip():
        return None
    s = sex.strip().upper()[:1]
    if s not in ("F", "M") or sex.strip().lower() not in ("f", "m", "female", "male"):
        raise StoreError(f"sex {sex!r} is not understood: use F or M (or leave it out)")
    return s


def _safe_component(text: str) -> str:
    """A string usable as one path component (codes are already simple; be safe anyway)."""
    keep = "".join(c if (c.isalnum() or c in "-_.") else "_" for c in str(text)).strip(".")
    return keep or "_"

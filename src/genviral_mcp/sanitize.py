"""Text from outside, made safe to show: cleaning and key redaction.

Every string from Genviral goes through :func:`clean_text` (or :func:`untrusted`) before it reaches a
result, a log line, an error message or the terminal; :func:`plain_text` is the terminal boundary
for text that must not be shortened; :func:`redact` and :func:`redact_bytes` take the API key out of
anything Genviral may have echoed, before it is parsed, shortened or quoted.

Cleaning can rebuild a key that redaction missed: a key with a zero-width space or a terminal
escape inside is not the key until the cleaner takes them out. So every cleaning function ends by
redacting again, before anything is cut, the keys of the tool call being served: the server opens
a :func:`redaction_scope` for each call and binds its key (:func:`bind_secret`); a context variable
carries them to every task and worker thread of that call (anyio copies the context into a worker
thread), so no module has to reach back up the flow for the key. That last redaction also knows
the key spelled with ``%XX``, ``\\uXXXX``, ``\\xXX`` and HTML character references.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

#: Escape sequences a terminal acts on: CSI (colours, cursor moves), OSC (titles, hyperlinks), and
#: the two-character ones.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]{0,2000}(?:\x07|\x1b\\)?|[@-Z\\-_])")
#: Control characters, line/paragraph separators and odd spaces: become a space.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
#: Format characters (Unicode category Cf): soft hyphen, zero-width, bidi controls and isolates,
#: BOM, and the tag characters U+E0000-E007F that can spell out text no reader sees: removed.
#: (A final per-character check catches any that a newer Unicode version adds.)
_FORMAT = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e007f]"
)
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"</?[A-Za-z!][^<>]{0,200}>")


def _scrub(text: str) -> str:
    """Remove format characters and turn controls into spaces (the per-character fallback)."""
    out = []
    for char in text:
        if char.isprintable():
            out.append(char)
            continue
        category = unicodedata.category(char)
        if category == "Cs":  # a lone surrogate from a half-cut emoji
            out.append("\ufffd")
        elif category in ("Co", "Cn"):  # private use, or newer than this Python's Unicode: visible
            out.append(char)
        elif category != "Cf":
            out.append(" ")
    return "".join(out)


def _unescaped(text: str) -> str:
    flat = _FORMAT.sub("", _CONTROL.sub(" ", _ANSI.sub("", text)))
    return flat if flat.isprintable() else _scrub(flat)


def plain_text(text: str) -> str:
    """``text`` with terminal escapes and format characters removed and controls made spaces, and
    then the call's key redacted (the removal may have rebuilt it).

    Nothing is shortened; :func:`clean_text` and :func:`untrusted` build on it.
    """
    return redact_bound(text if text.isprintable() else _unescaped(text))


def _cleaned(text: str) -> str:
    """The full cleaning, without the fast path: escapes, markup, controls, format characters."""
    return _SPACE.sub(" ", _TAG.sub(" ", _unescaped(text))).strip()


def clean_text(text: str, limit: int) -> str:
    """Strip markup, escapes, control and format characters, collapse whitespace, cut at ``limit``.

    The one function every string from Genviral goes through before it reaches a result, a log
    line, an error message or the terminal. Work is bounded: at most ``4 * limit + 64`` characters
    of the input are looked at. The call's key is redacted from the cleaned text before it is cut,
    so that neither the cleaning nor the cut can leave a key, or part of one, behind.
    """
    if len(text) > 4 * limit + 64:
        text = text[: 4 * limit + 64]
    # Already clean (no control, format or line-break characters, no markup): only strip it.
    clean = text.isprintable() and "<" not in text and "  " not in text
    flat = redact_bound(text.strip() if clean else _cleaned(text))
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rstrip() + "…"


#: Identifiers and codes from Genviral (statuses, account ids, error codes) are cut here.
IDENTIFIER_CHARS = 80


def untrusted(text: str | None, limit: int = IDENTIFIER_CHARS) -> str | None:
    """:func:`clean_text` for an optional value; ``None`` and blank stay ``None``."""
    if text is None:
        return None
    return clean_text(text, limit) or None


def _pieces(secret: str) -> list[str]:
    return [piece for piece in (secret, secret.rpartition(".")[2]) if len(piece) >= 6]


def redact(text: str, secret: str) -> str:
    """Remove a secret, and its part after the last ``.``, from text an API may have echoed."""
    for piece in _pieces(secret):
        if piece in text:
            text = text.replace(piece, "[redacted]")
    return text


def _escaped_forms(piece: str) -> list[bytes]:
    """``piece`` as JSON may spell it with ``\\uXXXX`` escapes: every character escaped, lower and
    upper hex. (Mixed forms are caught after decoding, by :func:`redact` on each string.)"""
    return [
        "".join(f"\\u{ord(char):04x}" for char in piece).encode(),
        "".join(f"\\u{ord(char):04X}" for char in piece).encode(),
    ]


#: The keys of the tool call being served, each as the pieces :func:`redact` removes. Each call sets a
#: list of its own (:func:`redaction_scope`); the tasks and worker threads it starts share that list
#: through their copies of the context.
_BOUND: ContextVar[list[tuple[str, ...]] | None] = ContextVar("genviral_mcp_bound_secrets", default=None)


@contextmanager
def redaction_scope() -> Iterator[None]:
    """One tool call: the keys bound inside it are redacted by every cleaning step, until it ends."""
    token = _BOUND.set([])
    try:
        yield
    finally:
        _BOUND.reset(token)


def bind_secret(secret: str) -> None:
    """From now on in this call, its tasks and its worker threads, redact ``secret`` wherever text is
    cleaned. Outside a :func:`redaction_scope` it binds for the rest of the current context."""
    pieces = tuple(_pieces(secret))
    bound = _BOUND.get()
    if bound is None:
        _BOUND.set([pieces])
    elif pieces not in bound:
        bound.append(pieces)


def _hex(code: int, width: int) -> str:
    """A regex for ``code`` in hex, ``width`` digits, either case, any leading zeros beyond."""
    digits = f"{code:0{width}x}"
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits)


@lru_cache(maxsize=64)
def _spelled(piece: str) -> re.Pattern[str]:
    """``piece`` with any of its characters spelled as ``%XX``, ``\\uXXXX``, ``\\xXX`` or an HTML
    character reference: how a URL, a doubly escaped JSON string or markup may carry it."""
    forms = []
    for char in piece:
        code = ord(char)
        spellings = (
            re.escape(char),
            "%" + _hex(code, 2),
            r"\\u" + _hex(code, 4),
            r"\\x" + _hex(code, 2),
            f"&#0*{code};",
            "&#[xX]0*" + _hex(code, 1 if code < 16 else 2) + ";",
        )
        forms.append("(?:" + "|".join(spellings) + ")")
    return re.compile("".join(forms))


def _redact_pieces(text: str, pieces: tuple[str, ...]) -> str:
    for piece in pieces:
        if piece in text:
            text = text.replace(piece, "[redacted]")
    if "%" in text or "\\" in text or "&#" in text:  # only then can a piece be spelled otherwise
        for piece in pieces:
            text = _spelled(piece).sub("[redacted]", text)
    return text


def redact_spelled(text: str, secret: str) -> str:
    """:func:`redact`, and the key spelled with escapes or percent-encoding as well."""
    return _redact_pieces(text, tuple(_pieces(secret)))


def redact_bound(text: str) -> str:
    """``text`` without the keys bound to the current call, however they are spelled."""
    for pieces in _BOUND.get() or ():
        text = _redact_pieces(text, pieces)
    return text


def redact_bytes(body: bytes, secret: str) -> bytes:
    """:func:`redact` for a raw body, before any of it is parsed, shortened or quoted."""
    for piece in _pieces(secret):
        for form in (piece.encode(), *_escaped_forms(piece)):
            if form in body:
                body = body.replace(form, b"[redacted]")
    return body

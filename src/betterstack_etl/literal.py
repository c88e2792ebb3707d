"""Text from the API shown literally, wherever it is shown (SPEC §13).

A monitor's name, an incident's cause, a region, the response content: data that anyone who can
edit a monitor (or answer in its place) chooses. Shown to a person, it must read as the very
characters it holds and do nothing else:

- ``visible``: every control character (C0, DEL, C1: the terminal's escape sequences, a bell, a
  carriage return that rewrites the line) and every invisible character that reorders or hides
  text (bidirectional overrides, zero-width spaces) shown as its escape, ``\\x1b``, ``\\u202e``;
- ``markdown``: ``visible``, then every ASCII punctuation character backslash-escaped, which
  CommonMark guarantees is read as that character: no link, image, tag, emphasis or table cell
  comes out of it (Prefect artifacts, notification templates);
- ``VisibleLogText``: a logging filter applying ``visible`` to each log line (line breaks kept).

Rich markup (the terminal) and matplotlib mathtext (the report's charts) are each turned off
where they are used: ``cli.display`` and ``report.charts``; HTML is escaped by ``report.render``.
"""

from __future__ import annotations

import logging
import re
import string
from typing import Final

__all__ = ["VisibleLogText", "markdown", "visible"]

# C0 controls, DEL, C1 controls; then the invisible format characters that move or hide text:
# Arabic letter mark, zero-width space/non-joiner, LRM/RLM, line and paragraph separators, the
# bidirectional embeddings/overrides/isolates, word joiner and friends, and the byte-order mark.
_HIDDEN: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b\u200c\u200e\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)
_HIDDEN_BUT_NEWLINE: Final = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b\u200c\u200e\u200f\u2028-\u202e"
    "\u2060-\u2069\ufeff]"
)
_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MARKDOWN: Final = re.compile("([" + re.escape(string.punctuation) + "])")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object, *, newlines: bool = False) -> str:
    """``text`` (``str()`` of it) with each control or invisible character shown as its
    escape: ``"a\\x1b[31mb"`` → ``a\\x1b[31mb`` as nine plain characters. With ``newlines``,
    line breaks stay line breaks (multi-line log messages)."""
    shown = text if isinstance(text, str) else str(text)
    return (_HIDDEN_BUT_NEWLINE if newlines else _HIDDEN).sub(_escape, shown)


def markdown(text: object) -> str:
    """``text`` as Markdown that renders as exactly its characters (one line: control
    characters and line breaks shown as escapes, punctuation backslash-escaped)."""
    return _MARKDOWN.sub(r"\\\1", visible(text))


class VisibleLogText(logging.Filter):
    """Rewrites each record's message with ``visible`` (line breaks kept): attach it to a
    handler, so whatever a log line quotes from the API cannot drive the terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        shown = visible(message, newlines=True)
        if shown != message:
            record.msg, record.args = shown, None
        return True

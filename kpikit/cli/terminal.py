"""What the command line prints, made safe for a terminal: the one place control characters are neutralised.

CSV values, YAML text and file names reach the terminal inside messages
(``objectives.csv:3: unknown parent '...'``). A value holding ESC, a CSI sequence,
another C0/C1 control or a bidi override could recolour the screen, move the cursor,
retitle the window or make one name read as another. :func:`neutralise` shows each
such character as a visible escape (``\\x1b``, ``\\u202e``); newline and tab stay
(they are how the kit lays out its own lines). :func:`guarded` wraps ``sys.stdout``
and ``sys.stderr`` for the whole of :func:`kpikit.cli.main`, so every print, argparse
message and error goes through it, whatever module printed it.

>>> neutralise("a\\x1b[31mred\\x1b[0m \\u202eevil")
'a\\\\x1b[31mred\\\\x1b[0m \\\\u202eevil'
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from typing import Any, TextIO

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (not tab, newline), DEL, C1 (U+0080-U+009F: CSI is U+009B)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, overrides, isolates
    "\u2028\u2029\ufeff\ufff9-\ufffb]"  # line/paragraph separators, BOM, interlinear annotation
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(text: str) -> str:
    """``text`` with every terminal control character shown as an escape (see the module docstring)."""
    return _UNSAFE.sub(_escape, text)


class SafeStream:
    """A text stream that neutralises what is written to it, and is otherwise the stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(neutralise(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, buffer...
        return getattr(self._stream, name)


@contextlib.contextmanager
def guarded() -> Iterator[None]:
    """``sys.stdout`` and ``sys.stderr`` neutralised for the duration (restored after)."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = SafeStream(out)
    sys.stderr = SafeStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err

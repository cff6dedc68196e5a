"""Numbers and words as a consultant reads them: one place for the formatting the engine, charts and report share.

A shared leaf (it imports nothing from kpikit), so that a finding's message, a chart
label and a report cell write ``14,200 USD``, ``3 quarters`` or a cut-off label the
same way.

>>> fmt(1.5, "%", change=True), plural(2, period_word("quarterly"))
('1.5 percentage points', '2 quarters')
"""

from __future__ import annotations

import math
import re

PERIOD_WORDS: dict[str, str] = {"monthly": "month", "quarterly": "quarter", "annual": "year"}
"""The word for one period of each frequency (``kpikit.periods.FREQUENCIES``)."""


def fmt(value: float, unit: str | None = None, change: bool = False) -> str:
    """A number as a consultant reads it: ``14,200``, ``0.72``, ``95%``, ``41 minutes``.

    Four significant digits below 1,000, thousands separators above. ``change=True``
    reads a difference: for a ``%`` unit that is percentage points, not percent.

    >>> fmt(0.333333, "%"), fmt(0.333333, "%", change=True), fmt(14403, "USD")
    ('0.3333%', '0.3333 percentage points', '14,403 USD')
    >>> fmt(float("nan")), fmt(2.5e16)
    ('(none)', '2.5e+16')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "(none)"
    if abs(value) >= 1e15:
        text = f"{value:.3g}"
    elif abs(value) >= 1000:
        text = f"{value:,.1f}".removesuffix(".0")
    else:
        text = f"{value:.4g}"
        if "e" in text:
            text = f"{value:.3g}"
    if unit and unit != "nan":
        if unit == "%":
            return f"{text} percentage points" if change else f"{text}%"
        return f"{text} {unit}"
    return text


def plural(n: int, word: str) -> str:
    """A count with its noun, plural when it is not one.

    >>> plural(1, "quarter"), plural(3, "quarter")
    ('1 quarter', '3 quarters')
    """
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def period_word(freq: str) -> str:
    """The word for one period of frequency ``freq``; ``"period"`` for anything else.

    >>> period_word("monthly"), period_word("annual"), period_word("weekly")
    ('month', 'year', 'period')
    """
    return PERIOD_WORDS.get(freq, "period")


def short(text: object, n: int) -> str:
    """``text`` cut to ``n`` characters with an ellipsis; empty for a missing value (labels; tooltips carry the full text).

    >>> short("Reduce emergency wait times", 10), short("abc", 4), short(None, 4), short(float("nan"), 4)
    ('Reduce em…', 'abc', '', '')
    """
    s = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def join_words(parts: list[str]) -> str:
    """Items as a sentence reads them: ``a``, ``a and b``, ``a, b and c``.

    >>> join_words([]), join_words(["a"]), join_words(["a", "b"]), join_words(["a", "b", "c"])
    ('', 'a', 'a and b', 'a, b and c')
    """
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: object) -> tuple[tuple[int, int | str], ...]:
    """A sort key that orders IDs as people count: ``M1, M2, M10``, not ``M1, M10, M2``.

    Runs of digits compare as numbers, the rest case-insensitively; every ID sorted for
    display goes through this one key (``sorted(ids, key=natural_key)``).

    >>> sorted(["M10", "M2", "m1", "O1/M10", "O1/M9"], key=natural_key)
    ['m1', 'M2', 'M10', 'O1/M9', 'O1/M10']
    """
    parts = _DIGITS.split("" if text is None else str(text))
    return tuple((0, int(p)) if i % 2 else (1, p.casefold()) for i, p in enumerate(parts) if p or i == 0)


__all__ = ["PERIOD_WORDS", "fmt", "join_words", "natural_key", "period_word", "plural", "short"]

"""``kpikit compare OLD NEW``: what changed between two reports, in words.

Each side is one of: a run folder (``DIR/runs/<stamp>/``, read from its ``inputs/`` copy and
its ``findings.csv``), a published report (``DIR/published/<period>/``, or just the period
``2026-Q2`` when the other side or ``--engagement`` names the engagement folder), or an
engagement folder as it is now (its review period, or ``--period``). The table itself is
:func:`kpikit.engine.compare.compare`; this module finds the two sides and writes the
table as text, CSV and an HTML fragment (the report's own section renders the same rows).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kpikit.data.cells import is_missing
from kpikit.data.model import Engagement
from kpikit.data.published import PUBLISHED_DIR, findings_rows, read_publication
from kpikit.data.store import load_engagement
from kpikit.engine.compare import compare, counts
from kpikit.engine.findings import CODES, Finding
from kpikit.errors import RunSetupError
from kpikit.periods import Period
from kpikit.run.inputs import INPUTS_DIR
from kpikit.run.manifest import MANIFEST_FILE, read_manifest


@dataclass
class Side:
    """One side of a comparison: what it is called, the engagement as it was, its period and findings."""

    label: str
    eng: Engagement
    period: str | None
    findings: list[Finding]


def _findings_of(run: Path) -> list[Finding]:
    return [Finding(c, i, m) for c, i, m in findings_rows(run) if c in CODES]


def _engagement_folder(text: str) -> Path | None:
    p = Path(text)
    return p if (p / "engagement.yaml").is_file() and not (p / MANIFEST_FILE).is_file() else None


def resolve(text: str, *, engagement: Path | None = None, period: str | None = None) -> Side:
    """One side from what the user typed (see the module docstring); raises :class:`RunSetupError` if it is none."""
    from kpikit.engine import all_findings

    path = Path(text)
    if not path.exists() and engagement is not None:
        try:
            Period.parse(text)
        except ValueError:
            pass
        else:
            path = engagement / PUBLISHED_DIR / text.strip()
            if not path.is_dir():
                raise RunSetupError(f"{text.strip()} is not published (no {path})")
    if (path / MANIFEST_FILE).is_file():
        if not (path / INPUTS_DIR).is_dir():
            raise RunSetupError("this run kept no copy of its inputs (made by an older kpikit); it cannot be compared", str(path))
        manifest = read_manifest(path)
        eng = load_engagement(path / INPUTS_DIR)
        pub = read_publication(path)
        label = (f"the {pub.period} report published on {pub.published_on.isoformat()}" if pub
                 else f"run {path.resolve().name} ({manifest.get('period') or 'no period'})")
        return Side(label, eng, manifest.get("period"), _findings_of(path))
    if _engagement_folder(str(path)) is not None:
        eng = load_engagement(path)
        review = eng.review_period(period)
        p = str(review) if review else None
        return Side(f"the folder as it is now ({p or 'no period'})", eng, p, all_findings(eng, p))
    raise RunSetupError("not a run folder, a published report, a published period or an engagement folder", text)


def compare_sides(old: Side, new: Side) -> pd.DataFrame:
    """The change table from ``old`` to ``new`` (:data:`kpikit.engine.compare.COMPARE_COLUMNS`)."""
    return compare(old.eng, old.period, new.eng, new.period, old_findings=old.findings, new_findings=new.findings)


def resolve_pair(
    old: str, new: str, *, engagement: str | os.PathLike[str] | None = None, period: str | None = None
) -> tuple[Side, Side]:
    """Both sides; a bare period on one side is looked up in the other side's engagement folder."""
    folder = Path(engagement) if engagement is not None else None
    if folder is None:
        for text in (new, old):
            found = _engagement_folder(text)
            if found is not None:
                folder = found
                break
            p = Path(text)
            if read_publication(p) is not None and p.parent.name == PUBLISHED_DIR:
                folder = p.parent.parent
                break
    return resolve(old, engagement=folder, period=period), resolve(new, engagement=folder, period=period)


def as_text(table: pd.DataFrame, old: Side, new: Side) -> str:
    """The table as a consultant reads it on a terminal: one line per change, grouped by kind."""
    lines = [f"From {old.label} to {new.label}:"]
    if table.empty:
        lines.append("  nothing changed")
        return "\n".join(lines)
    summary = ", ".join(f"{n} {kind}" for kind, n in counts(table).items())
    lines.append(f"  {len(table)} change{'s' if len(table) != 1 else ''}: {summary}")
    kind = ""
    for r in table.to_dict("records"):
        if str(r["kind"]) != kind:
            kind = str(r["kind"])
            lines.append(f"{kind}:")
        why = "" if is_missing(r["rationale"]) else f" (why: {r['rationale']!s})"
        lines.append(f"  {r['change']!s}{why}")
    return "\n".join(lines)


__all__ = ["Side", "as_text", "compare_sides", "resolve", "resolve_pair"]

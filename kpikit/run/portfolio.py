"""``kpikit portfolio ROOT``: one page for the consultancy over every client's latest run.

For the consultancy only, never part of a client's deliverable: it is written to
``ROOT/portfolio.html`` and ``ROOT/portfolio.csv``, beside the client folders, never into
one. It reads what the runs already wrote (``manifest.json``, ``scorecard.csv``,
``findings.csv``, the run's ``inputs/`` copy for the overall score) and each folder's
``published/`` record; it runs nothing and changes no client file.

One row per client: its latest run (outcome, when), the overall score and the KPIs by
status of its latest *successful* run, stale data, broken sources and overdue actions (the
finding codes ``KPI_STALE``, ``KPI_SOURCE_BROKEN``, ``ACTION_OVERDUE``), findings by
severity, the last published period, and a link to the report. Rows are sorted by what
needs attention: no successful run first, then errors, red KPIs, broken sources, overdue
actions, stale data.

The **benchmark library** shows, for a metric several clients share (same ``name`` and
``unit`` in metrics.csv, or the same ``benchmark_key`` column where a client has one), the
spread of their latest values, only when at least :data:`MIN_CLIENTS` clients contribute,
and never a single client's value: the quartiles are each the mean of two neighbouring
values (the midpoint rule), a metric where a figure would still equal a contributing value
(two neighbours alike) is left out, and neither the lowest nor the highest value is shown.
It names no client. (A library regenerated after one client joins can still be differenced;
the page is for the consultancy, not published.)

The HTML is self-contained (inline CSS, no script, no font or image fetched) and every
client-supplied text is escaped (Jinja2 autoescape).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kpikit.data.csvio import atomic_write
from kpikit.data.schema import CONFIG_FILE
from kpikit.run.inputs import INPUTS_DIR
from kpikit.run.manifest import MANIFEST_FILE

PORTFOLIO_HTML = "portfolio.html"
PORTFOLIO_CSV = "portfolio.csv"
MIN_CLIENTS = 5
"""A benchmark is shown only when at least this many clients contribute (k-anonymity)."""
STATUSES = ("green", "amber", "red", "no-data")
SEVERITIES = ("error", "warning", "info")


@dataclass
class ClientRow:
    """One client on the portfolio page."""

    folder: str
    client: str
    last_run: str = ""
    last_outcome: str = "never run"
    last_success: str = ""
    period: str = ""
    overall_score: float | None = None
    status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    severity: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    stale: int = 0
    broken_sources: int = 0
    overdue_actions: int = 0
    published: str = ""
    report: str = ""

    def attention(self) -> tuple[int, ...]:
        """Sort key: the clients that need attention first."""
        return (0 if not self.last_success else 1, -self.severity["error"], -self.status["red"],
                -self.broken_sources, -self.overdue_actions, -self.stale)


@dataclass
class Benchmark:
    """The anonymised spread of one shared metric's latest values across clients."""

    name: str
    unit: str
    clients: int
    q1: float
    median: float
    q3: float


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    except OSError:
        return []


def _runs(folder: Path) -> list[tuple[Path, dict[str, object]]]:
    """The client's run folders with a readable manifest, newest first."""
    runs = folder / "runs"
    out = []
    for d in sorted((p for p in runs.iterdir() if p.is_dir()), reverse=True) if runs.is_dir() else []:
        try:
            out.append((d, json.loads((d / MANIFEST_FILE).read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    return out


def _overall(run_dir: Path, period: str | None) -> float | None:
    """The report's headline score, recomputed from the run's own copy of the inputs."""
    from kpikit.data.store import load_engagement
    from kpikit.engine import review

    try:
        eng = load_engagement(run_dir / INPUTS_DIR)
        score = review.overall_score(review.rollup(eng, "pillar", period))
    except Exception:  # an old run without inputs/, or inputs this kit no longer reads
        return None
    return None if math.isnan(score) else round(score, 1)


def client_row(folder: Path, root: Path) -> ClientRow:
    """What the portfolio shows for one client folder."""
    row = ClientRow(folder.name, folder.name)
    runs = _runs(folder)
    if runs:
        latest = runs[0][1]
        row.client = str(latest.get("client") or folder.name)
        row.last_run = str(latest.get("finished") or latest.get("started") or "")
        row.last_outcome = str(latest.get("outcome") or "")
    ok = next(((d, m) for d, m in runs if m.get("outcome") == "succeeded"), None)
    if ok is not None:
        run_dir, m = ok
        row.last_success = str(m.get("finished") or "")
        row.period = str(m.get("period") or "")
        period = m.get("period")
        row.overall_score = _overall(run_dir, period if isinstance(period, str) else None)
        for r in _read_csv(run_dir / "scorecard.csv"):
            if r.get("status") in row.status:
                row.status[r["status"]] += 1
        for r in _read_csv(run_dir / "findings.csv"):
            if r.get("severity") in row.severity:
                row.severity[r["severity"]] += 1
            code = r.get("code")
            row.stale += code == "KPI_STALE"
            row.broken_sources += code == "KPI_SOURCE_BROKEN"
            row.overdue_actions += code == "ACTION_OVERDUE"
        report = next((run_dir / n for n in ("report.html", "report.pdf") if (run_dir / n).is_file()), None)
        if report is not None:
            row.report = report.relative_to(root).as_posix()
    from kpikit.data.published import publications

    try:
        pubs = publications(folder)
    except Exception:  # a damaged published/ record: shown as none
        pubs = []
    if pubs:
        row.published = f"{pubs[-1].period} ({pubs[-1].published_on.isoformat()})"
    return row


def _midpoint_quartiles(values: list[float]) -> tuple[float, float, float]:
    """Q1, median, Q3, each the mean of two neighbouring sorted values (never one value on its own)."""
    v = sorted(values)
    n = len(v)

    def mid(q: float) -> float:
        i = max(0, min(n - 2, int(q * (n - 1))))
        return (v[i] + v[i + 1]) / 2

    return mid(0.25), mid(0.5), mid(0.75)


def benchmarks(folders: Iterable[Path], min_clients: int = MIN_CLIENTS) -> list[Benchmark]:
    """The benchmark library over the clients' latest successful runs (see the module docstring)."""
    shared: dict[tuple[str, str], dict[str, float]] = {}
    for folder in folders:
        ok = next(((d, m) for d, m in _runs(folder) if m.get("outcome") == "succeeded"), None)
        if ok is None:
            continue
        run_dir = ok[0]
        metrics = {r.get("id", ""): r for r in _read_csv(run_dir / INPUTS_DIR / "metrics.csv")}
        latest: dict[str, float] = {}
        for r in _read_csv(run_dir / "scorecard.csv"):
            try:
                latest[r["metric_id"]] = float(r["actual"])
            except (KeyError, ValueError):
                continue
        for mid, value in latest.items():
            m = metrics.get(mid)
            if m is None or math.isnan(value):
                continue
            key = (m.get("benchmark_key") or "").strip().lower() or (m.get("name") or "").strip().lower()
            unit = (m.get("unit") or "").strip()
            if key:
                shared.setdefault((key, unit), {})[folder.name] = value  # one value per client
    out = []
    for (name, unit), by_client in sorted(shared.items()):
        values = list(by_client.values())
        if len(values) < min_clients:
            continue
        q1, med, q3 = _midpoint_quartiles(values)
        if any(math.isclose(f, v, rel_tol=1e-9, abs_tol=1e-12) for f in (q1, med, q3) for v in values):
            continue  # two neighbours alike: the figure would be one client's own value
        out.append(Benchmark(name, unit, len(values), q1, med, q3))
    return out


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portfolio: {{ rows|length }} clients</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1b1f24}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}th,td{border:1px solid #ccd;padding:.3rem .5rem;text-align:left}
th{background:#eef1f6}td.n{text-align:right}.bad{color:#a40000;font-weight:600}.note{color:#555;font-size:.85rem}
</style></head><body>
<h1>Portfolio</h1>
<p class="note">For the consultancy only: not part of any client's deliverable. {{ rows|length }} clients, most in need of attention first. Generated {{ generated }}.</p>
<table><thead><tr><th>client</th><th>folder</th><th>latest run</th><th>period</th><th>overall score</th>
{% for s in statuses %}<th>{{ s }}</th>{% endfor %}<th>stale data</th><th>broken sources</th><th>overdue actions</th>
{% for s in severities %}<th>{{ s }}s</th>{% endfor %}<th>last published</th><th>report</th></tr></thead><tbody>
{% for r in rows %}<tr><td>{{ r.client }}</td><td>{{ r.folder }}</td>
<td{% if r.last_outcome != 'succeeded' %} class="bad"{% endif %}>{{ r.last_outcome }}{% if r.last_run %} {{ r.last_run }}{% endif %}</td>
<td>{{ r.period }}</td><td class="n">{{ '' if r.overall_score is none else r.overall_score }}</td>
{% for s in statuses %}<td class="n">{{ r.status[s] }}</td>{% endfor %}
<td class="n">{{ r.stale }}</td><td class="n">{{ r.broken_sources }}</td><td class="n">{{ r.overdue_actions }}</td>
{% for s in severities %}<td class="n">{{ r.severity[s] }}</td>{% endfor %}
<td>{{ r.published }}</td><td>{% if r.report %}<a href="{{ r.report }}">report</a>{% endif %}</td></tr>
{% endfor %}</tbody></table>
<h2>Benchmark library</h2>
<p class="note">Metrics that at least {{ min_clients }} clients share (same name and unit, or benchmark_key): the spread of their latest values. No client is named and no single value is shown: each figure is the mean of two clients' values.</p>
{% if benchmarks %}<table><thead><tr><th>metric</th><th>unit</th><th>clients</th><th>lower quartile</th><th>median</th><th>upper quartile</th></tr></thead><tbody>
{% for b in benchmarks %}<tr><td>{{ b.name }}</td><td>{{ b.unit }}</td><td class="n">{{ b.clients }}</td><td class="n">{{ fmt(b.q1) }}</td><td class="n">{{ fmt(b.median) }}</td><td class="n">{{ fmt(b.q3) }}</td></tr>
{% endfor %}</tbody></table>{% else %}<p>No metric is shared by {{ min_clients }} or more clients yet.</p>{% endif %}
</body></html>
"""


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def write_portfolio(root: Path, folders: list[Path]) -> tuple[Path, Path]:
    """Write ``ROOT/portfolio.html`` and ``ROOT/portfolio.csv`` (atomically); returns both paths."""
    from jinja2 import Environment

    from kpikit.run.manifest import utc_now

    rows = sorted((client_row(f, root) for f in folders), key=lambda r: (r.attention(), r.folder))
    env = Environment(autoescape=True)
    html = env.from_string(_TEMPLATE).render(
        rows=rows, statuses=STATUSES, severities=SEVERITIES, benchmarks=benchmarks(folders),
        min_clients=MIN_CLIENTS, generated=utc_now(), fmt=_fmt,
    )
    buf = io.StringIO()
    flat = []
    for r in rows:
        d = asdict(r)
        status, severity = d.pop("status"), d.pop("severity")
        flat.append({**d, **{f"kpis_{k}": v for k, v in status.items()}, **{f"findings_{k}": v for k, v in severity.items()}})
    writer = csv.DictWriter(buf, fieldnames=list(flat[0]) if flat else ["folder"], lineterminator="\n")
    writer.writeheader()
    for d in flat:
        writer.writerow({k: _csv_safe(v) for k, v in d.items()})
    html_path, csv_path = root / PORTFOLIO_HTML, root / PORTFOLIO_CSV
    atomic_write(html_path, html.encode("utf-8"))
    atomic_write(csv_path, buf.getvalue().encode("utf-8"))
    return html_path, csv_path


def _csv_safe(v: object) -> object:
    """A client name a spreadsheet would run as a formula starts with ``'`` (as the run's CSV files do)."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return "" if v is None else v


def client_folders(root: Path) -> list[Path]:
    """Folders directly under ``root`` holding an ``engagement.yaml``, in name order."""
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / CONFIG_FILE).is_file())

"""The user documentation agrees with the code: docs/engagement-format.md, docs/run-and-report.md and
the walkthrough in docs/bring-your-own-data.md.

A user who follows the docs must get what the kit does, so the tables of the docs are parsed and
compared with the declarations they describe: the CSV schema (``kpikit.data.schema``), the
``engagement.yaml`` model (``kpikit.data.config``), the finding codes (``kpikit.engine.findings``)
and the command line (``kpikit.cli``). Names listed as planned must not exist yet (else the docs
still call an implemented feature "not yet"), and the walkthrough's pasted outputs are those of
the commands run again on the files it shows. Cheap: no notebook is run.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from kpikit.cli import SUBCOMMANDS, build_parser, main
from kpikit.data.config import EngagementConfig
from kpikit.data.csvio import frame_to_csv_bytes
from kpikit.data.schema import SPECS, TABLES, TableSpec, spec_for_scores
from kpikit.data.store import load_engagement
from kpikit.engine.behaviour import SCORECARD_FILE_COLUMNS, scorecard_file
from kpikit.engine.findings import CODES, FINDING_COLUMNS
from kpikit.engine.review import (
    OBJECTIVE_SCORE_COLUMNS,
    objective_scores,
)
from kpikit.report.build import FORMATS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FORMAT_DOC = DOCS / "engagement-format.md"
RUN_DOC = DOCS / "run-and-report.md"
WALK_DOC = DOCS / "bring-your-own-data.md"
PLANNED = "Planned (not yet in this version)"

EXTRA_SETTINGS = {"editors", "editors.keep_backups"}
"""Settings read from engagement.yaml outside the pydantic model (kpikit/editors/base.py reads
``editors.keep_backups`` from the model's extras); documented like the others."""
KIND_WORDS = {"id": "ID", "ref": "ID of", "text": "text", "number": "number", "period": "period",
              "date": "date", "enum": "one of"}
"""How the docs' "value" column names each kind of column of kpikit.data.schema."""


# -- reading the docs -------------------------------------------------------------------

def sections(path: Path) -> dict[str, str]:
    """``## heading`` -> the text under it (up to the next ``##`` heading)."""
    out: dict[str, str] = {}
    for part in re.split(r"^## ", path.read_text(encoding="utf-8"), flags=re.M)[1:]:
        head, _, body = part.partition("\n")
        out[head.strip()] = body
    return out


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the first markdown table in ``text``, as stripped cells."""
    rows: list[list[str]] = []
    started = False
    for line in text.splitlines():
        if line.startswith("|"):
            started = True
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            rows.append(cells)
        elif started:
            break
    assert len(rows) >= 2, f"no markdown table in:\n{text[:300]}"
    assert set(rows[1][0]) <= set("-: "), f"a table without its --- line in:\n{text[:300]}"
    return rows[2:]


def ticked(cell: str) -> list[str]:
    """The `backticked` names in a table cell."""
    return re.findall(r"`([^`]+)`", cell)


def first_ticked(cell: str) -> str:
    names = ticked(cell)
    assert names, f"table cell without a `name`: {cell!r}"
    return names[0]


def current_part(path: Path) -> str:
    """The document before its Planned section: what this version does."""
    text = path.read_text(encoding="utf-8")
    return text.split(f"## {PLANNED}")[0]


# -- engagement-format.md: files, columns, settings, findings ---------------------------

def test_file_list_matches_the_schema() -> None:
    rows = table_rows(sections(FORMAT_DOC)["The files"])
    documented = {first_ticked(r[0]): r[1] for r in rows}
    expected = {"engagement.yaml": "yes", **{t.file: "yes" if t.required_file else "no" for t in TABLES}}
    assert documented == expected, "the file table of docs/engagement-format.md disagrees with kpikit/data/schema.py"


@pytest.mark.parametrize("spec", TABLES, ids=[t.file for t in TABLES])
def test_columns_match_the_schema(spec: TableSpec) -> None:
    secs = sections(FORMAT_DOC)
    assert spec.file in secs, f"docs/engagement-format.md has no section '## {spec.file}'"
    rows = table_rows(secs[spec.file])
    documented = [first_ticked(r[0]) for r in rows]
    declared = spec.column_names + (["<criterion>"] if spec.name == "metric_scores" else [])
    assert documented == declared, f"{spec.file}: documented columns {documented}, schema has {declared}"
    columns = {c.name: c for c in (spec_for_scores(["<criterion>"], (1, 5)) if spec.name == "metric_scores" else spec).columns}
    for name, row in zip(documented, rows, strict=True):
        c = columns[name]
        assert row[1] == ("yes" if c.required else "no"), f"{spec.file}: column {name} is {'required' if c.required else 'optional'} in the schema, the docs say {row[1]!r}"
        # the docs define "required" as "in the header and filled on every row"
        assert c.required == c.nonempty, f"{spec.file}: {name} is required={c.required} but nonempty={c.nonempty}; document the difference"
        assert row[2].startswith(KIND_WORDS[c.kind]), f"{spec.file}: column {name} holds {c.kind}; the docs say {row[2]!r}"
        assert ticked(row[2]) == list(c.choices), f"{spec.file}: {name} allows {c.choices}; the docs list {ticked(row[2])}"


def model_settings(model: type[BaseModel], prefix: str = "") -> dict[str, bool]:
    """Every setting of a pydantic model as a dotted name (``pillars[].id``) -> required."""
    out: dict[str, bool] = {}
    for name, field in model.model_fields.items():
        key = prefix + name
        out[key] = field.is_required()
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.update(model_settings(ann, key + "."))
        elif args and isinstance(args[0], type) and issubclass(args[0], BaseModel) and getattr(ann, "__origin__", None) is list:
            out.update(model_settings(args[0], key + "[]."))
    return out


def test_every_engagement_yaml_setting_is_documented() -> None:
    rows = table_rows(sections(FORMAT_DOC)["engagement.yaml"])
    documented = {first_ticked(r[0]): r[1] == "yes" for r in rows}
    declared = model_settings(EngagementConfig)
    missing = sorted(set(declared) - set(documented))
    unknown = sorted(set(documented) - set(declared) - EXTRA_SETTINGS)
    assert not missing, f"engagement.yaml settings in kpikit/data/config.py but not documented: {missing}"
    assert not unknown, f"engagement.yaml settings documented but not in kpikit/data/config.py: {unknown}"
    wrong = sorted(k for k in declared if documented[k] != declared[k])
    assert not wrong, f"required/optional differs between the docs and kpikit/data/config.py for: {wrong}"


def test_every_finding_code_is_documented_with_its_severity() -> None:
    rows = table_rows(sections(FORMAT_DOC)["Findings"])
    documented = {first_ticked(r[0]): r[1] for r in rows}
    assert documented == dict(CODES), "the findings table of docs/engagement-format.md disagrees with kpikit/engine/findings.py CODES"


def planned_names(path: Path) -> list[tuple[str, str]]:
    rows = table_rows(sections(path)[PLANNED])
    return [(name, r[1]) for r in rows for name in ticked(r[0])]


def run_options() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {s for a in sub.choices["run"]._actions for s in a.option_strings}


def test_planned_names_do_not_exist_yet() -> None:
    """Something the docs call planned that the code now has must move into the docs' body."""
    columns = {t.file: set(t.column_names) for t in TABLES}
    settings = set(model_settings(EngagementConfig)) | EXTRA_SETTINGS
    exists: dict[str, Callable[[str], bool]] = {
        "file": lambda n: n in {t.file for t in TABLES},
        "engagement.yaml setting": lambda n: n in settings,
        "finding code": lambda n: n in CODES,
        "command": lambda n: n.removeprefix("kpikit ") in SUBCOMMANDS,
        "option of `kpikit run`": lambda n: n in run_options(),
        "scorecard.csv column": lambda n: n in SCORECARD_FILE_COLUMNS,
        "report format": lambda n: n in FORMATS,
    }
    found = []
    for doc in (FORMAT_DOC, RUN_DOC):
        for name, kind in planned_names(doc):
            if kind.endswith(".csv column") and kind != "scorecard.csv column":
                present = name in columns[kind.removesuffix(" column")]
            else:
                assert kind in exists, f"{doc.name}: unknown kind {kind!r} in the Planned table"
                present = exists[kind](name)
            if present:
                found.append(f"{doc.name}: {name} ({kind})")
    assert not found, f"listed as planned but the code has them (document them as current): {found}"


# -- run-and-report.md: commands, options, output columns ---------------------------------

def test_every_command_and_option_is_documented() -> None:
    text = current_part(RUN_DOC)
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, p in sub.choices.items():
        if f"`kpikit {name}" not in text:
            missing.append(f"kpikit {name}")
        subsub = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        actions = list(p._actions) + [a for s in subsub for q in s.choices.values() for a in q._actions]
        for s in subsub:
            missing += [f"kpikit {name} {n}" for n in s.choices if f"`kpikit {name} {n}" not in text]
        missing += [f"kpikit {name} {o}" for a in actions for o in a.option_strings
                    if o not in ("-h", "--help") and o not in text]
    assert set(sub.choices) == set(SUBCOMMANDS)
    assert not missing, f"not documented in docs/run-and-report.md: {missing}"


@pytest.mark.parametrize(("file", "columns"), [("findings.csv", FINDING_COLUMNS), ("scorecard.csv", SCORECARD_FILE_COLUMNS),
                                               ("objective_scores.csv", OBJECTIVE_SCORE_COLUMNS)])
def test_output_columns_are_documented(file: str, columns: list[str]) -> None:
    rows = {first_ticked(r[0]): r[1] for r in table_rows(current_part(RUN_DOC).split("## The output folder")[1])}
    assert file in rows, f"docs/run-and-report.md does not describe {file}"
    assert f"`{', '.join(columns)}`" in rows[file], f"{file} has the columns {columns}; the docs say: {rows[file]}"


# -- links and pointers ------------------------------------------------------------------

USER_DOCS = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("path", USER_DOCS, ids=[p.name for p in USER_DOCS])
def test_relative_links_resolve(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if "://" in target or target.startswith("#"):
            continue
        file, _, anchor = target.partition("#")
        dest = (path.parent / file).resolve()
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.suffix == ".md":
            heads = re.findall(r"^#+ (.+)$", dest.read_text(encoding="utf-8"), flags=re.M)
            slugs = {re.sub(r"[^a-z0-9 _-]", "", h.lower()).replace(" ", "-") for h in heads}
            if anchor not in slugs:
                broken.append(target)
    assert not broken, f"{path.name}: links to nothing: {broken}"


def test_no_pointer_outside_the_repository() -> None:
    """The contract is in docs/: nothing a user reads points to ../shared/, which a clone does not have."""
    paths = [*USER_DOCS, *sorted((ROOT / "kpikit").rglob("*.py"))]
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in paths
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "../shared/" in line]
    assert not hits, f"pointers to ../shared/ (use docs/engagement-format.md or docs/run-and-report.md): {hits}"


# -- bring-your-own-data.md: the walkthrough, replayed --------------------------------------

@dataclass
class Block:
    intro: str
    """The paragraph of text just before the fenced block."""
    text: str


def blocks(path: Path) -> list[Block]:
    out: list[Block] = []
    para: list[str] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith("```"))
            out.append(Block(" ".join(para), "\n".join(lines[i + 1 : j]) + "\n"))
            para = []
            i = j + 1
            continue
        if not lines[i].strip():
            para = []
        else:
            para.append(lines[i].strip())
        i += 1
    return out


class Walkthrough:
    """The walkthrough's blocks: files to write (introduced by their `name`) and commands with output."""

    def __init__(self, path: Path) -> None:
        self.blocks = blocks(path)

    def output(self, command: str, nth: int = 0) -> str:
        found = [b.text for b in self.blocks if b.text.startswith(f"$ {command}\n")]
        assert len(found) > nth, f"{WALK_DOC.name} shows `{command}` fewer than {nth + 1} times"
        return found[nth].split("\n", 1)[1]

    def file(self, name: str, nth: int = 0) -> str:
        found = [b.text for b in self.blocks if b.intro.startswith(f"`{name}`")]
        assert len(found) > nth, f"{WALK_DOC.name} shows {name} fewer than {nth + 1} times"
        return found[nth]

    def appended(self, name: str) -> str:
        found = [b.text for b in self.blocks if b.intro.startswith("Appended to") and f"`{name}`" in b.intro]
        assert found, f"{WALK_DOC.name} appends nothing to {name}"
        return found[0]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run ``kpikit ARGS`` in this process: exit status and what a terminal shows (stdout, then stderr)."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out + err


STALE = "the walkthrough's pasted output is out of date: run its commands again and paste what they print"


def test_walkthrough_outputs_are_what_the_commands_print(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = Walkthrough(WALK_DOC)
    monkeypatch.chdir(tmp_path)
    acme = tmp_path / "acme"

    code, shown = cli(capsys, "new", "acme", "--client", "Acme Water")
    assert (code, shown) == (0, doc.output('kpikit new acme --client "Acme Water"')), STALE
    scaffold = "".join((acme / f).read_text(encoding="utf-8") for f in ("org_units.csv", "objectives.csv", "metrics.csv"))
    assert scaffold == doc.output("cat acme/org_units.csv acme/objectives.csv acme/metrics.csv"), STALE

    for name in ("engagement.yaml", "org_units.csv", "objectives.csv", "metrics.csv"):
        (acme / name).write_text(doc.file(name), encoding="utf-8")
    code, shown = cli(capsys, "validate", "acme")
    assert (code, shown) == (1, doc.output("kpikit validate acme", 0)), STALE

    (acme / "metrics.csv").write_text(doc.file("metrics.csv", 1), encoding="utf-8")
    code, shown = cli(capsys, "validate", "acme", "--findings")
    assert (code, shown) == (0, doc.output("kpikit validate acme --findings", 0)), STALE

    for spec in TABLES:
        if not spec.required_file:
            (acme / spec.file).write_text(doc.file(spec.file), encoding="utf-8")
    good = (acme / "actuals.csv").read_text(encoding="utf-8")
    (acme / "actuals.csv").write_text(good + doc.appended("actuals.csv"), encoding="utf-8")
    code, shown = cli(capsys, "validate", "acme")
    assert (code, shown) == (1, doc.output("kpikit validate acme", 1)), STALE

    (acme / "actuals.csv").write_text(good, encoding="utf-8")
    code, shown = cli(capsys, "validate", "acme", "--findings")
    assert (code, shown) == (0, doc.output("kpikit validate acme --findings", 1)), STALE

    # what `kpikit run` writes to scorecard.csv and objective_scores.csv (kpikit.run.runner.write_tables)
    eng = load_engagement(acme)
    shown_tables: dict[str, Any] = {"scorecard.csv": scorecard_file(eng), "objective_scores.csv": objective_scores(eng)}
    for name, frame in shown_tables.items():
        pasted = next(b.text.split("\n", 1)[1] for b in doc.blocks
                      if b.text.startswith("$ cat acme/runs/") and b.text.split("\n", 1)[0].endswith(f"/{name}"))
        assert frame_to_csv_bytes(frame).decode("utf-8") == pasted, STALE


def test_walkthrough_header_lines_are_the_schema_columns() -> None:
    """The header line the walkthrough tells a user to type for each optional file."""
    secs = sections(WALK_DOC)
    step = next(body for head, body in secs.items() if head.startswith("4."))
    rows = {first_ticked(r[1]): first_ticked(r[2]) for r in table_rows(step)}
    default_criteria = list(EngagementConfig.model_validate(
        {"client": "x", "mission": "x", "pillars": [{"id": "P", "name": "x"}]}).scoring.criteria)
    expected = {t.file: ",".join(t.column_names + (default_criteria if t.name == "metric_scores" else []))
                for t in TABLES if not t.required_file}
    assert rows == expected, "the header lines of docs/bring-your-own-data.md step 4 disagree with kpikit/data/schema.py"
    assert set(SPECS) >= {t.name for t in TABLES}

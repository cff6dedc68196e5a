"""Creating a new engagement folder from the scaffold in ``templates/engagement``.

The scaffold's CSV files carry the contract's headers and one commented example row
(``#`` rows are ignored by the reader); the folder's README is generated from the
table declarations in :mod:`kpikit.data.schema`, so it never drifts from the rules.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from kpikit.data.csvio import atomic_write
from kpikit.data.schema import TABLES
from kpikit.errors import FolderNotEmptyError
from kpikit.kit.resources import templates_dir
from kpikit.periods import forms_phrase


def create_engagement(folder: str | os.PathLike[str], client: str) -> list[Path]:
    """Create ``folder`` with the scaffold, the client's name filled in; return the files made."""
    dest = Path(folder)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FolderNotEmptyError(f"{folder}: exists and is not empty; choose a new folder")
    src = templates_dir() / "engagement"
    dest.mkdir(parents=True, exist_ok=True)
    made = []
    for item in sorted(src.iterdir()):
        data = item.read_text(encoding="utf-8")
        if item.name == "engagement.yaml":
            # yaml.safe_dump quotes the name correctly whatever it contains.
            # One double-quoted line (no wrapping: a wrapped line can change the spaces in the name).
            quoted = yaml.safe_dump(client, default_style='"', width=2**31 - 1, allow_unicode=True).strip()
            data = data.replace('"{client}"', quoted)
        atomic_write(dest / item.name, data.encode("utf-8"))
        made.append(dest / item.name)
    atomic_write(dest / "README.md", folder_readme(client).encode("utf-8"))
    made.append(dest / "README.md")
    return made


def folder_readme(client: str) -> str:
    """A README explaining every file and column of an engagement folder."""
    out = [
        f"# {client}: engagement folder",
        "",
        "Edit these files in JupyterLab (the step notebooks' editors), a spreadsheet or a text "
        "editor, then run `kpikit validate .`. CSV files are UTF-8 with a header row; lines starting "
        "with `#` are examples and are ignored. Dates are `YYYY-MM-DD`; periods are "
        f"{forms_phrase('`{form}`')} (the metric's frequency). Optional files may be absent: the step "
        "has not been done yet.",
        "",
        "- `engagement.yaml` (required): client, mission, vision, pillars and settings.",
    ]
    for spec in TABLES:
        out.append(f"- `{spec.file}` ({'required' if spec.required_file else 'optional'}): {spec.help}")
        if not spec.required_file:  # the line to start the file with, so nobody retypes the columns
            out.append(f"  Start it with the header line `{','.join(spec.column_names)}`.")
        for c in spec.columns:
            flag = "required" if c.required else "optional"
            choices = f" One of: {', '.join(c.choices)}." if c.choices else ""
            out.append(f"  - `{c.name}` ({flag}): {c.help}.{choices}")
        if spec.name == "metric_scores":
            out.append("  - one number column per scoring criterion named in engagement.yaml (required)")
    return "\n".join(out) + "\n"

"""``kpikit run DIR --packs units,owners`` and ``kpikit run --all ROOT --packs units``: real runs, files where
docs/run-and-report.md says, each pack holding its own unit's data only, each client's packs in its own folder.

One module-scoped pair of runs (the small three-notebook kit keeps them short): a DIR run of the
8-unit canary client (tests/canaryclient.py: every item of unit ``Uxx`` carries ``CANARY_Uxx``), then
``--all`` over two 3-unit clients.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from canaryclient import write_client
from support import FIXTURES, pdf_text, run_cli

pytestmark = pytest.mark.slow

SMALL = FIXTURES / "notebooks_small_workbook"
CANARY = re.compile(r"CANARY_U\d\d")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("packs-cli")
    clients = root / "clients"
    a = write_client(root / "canary")
    write_client(clients / "canary", n_units=3, empty=())  # --all: two small clients, three units each
    b = write_client(clients / "second", n_units=3, empty=())
    yaml = b / "engagement.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("Canary Holdings", "Second Holdings"), encoding="utf-8")
    one = root / "one"
    code_one = run_cli(["run", str(a), "--out", str(one), "--notebooks", str(SMALL), "--format", "html",
                        "--packs", "units,owners", "--quiet"])
    every = root / "all"
    code_all = run_cli(["run", "--all", str(clients), "--out", str(every), "--notebooks", str(SMALL), "--format", "html",
                        "--packs", "units", "--workers", "2", "--force", "--quiet"])
    return {"one": one, "all": every, "code_one": code_one, "code_all": code_all}


def test_dir_run_writes_unit_packs_and_owner_briefs_where_the_docs_say(runs: dict) -> None:
    assert runs["code_one"] == 0
    one: Path = runs["one"]
    units = sorted(p.name for p in (one / "packs" / "units").iterdir())
    assert units == sorted(f"U{i:02d}{s}" for i in range(8) for s in (".html", ".pdf"))
    owners = sorted(p.name for p in (one / "packs" / "owners").iterdir())
    assert owners == sorted(f"S-U{i:02d}{s}" for i in range(7) for s in (".html", ".pdf"))  # U07 has nobody
    assert (one / "report.html").is_file()
    assert not (one / ".report-staging").exists()


def test_a_unit_pack_pdf_holds_its_own_units_data_only(runs: dict) -> None:
    one: Path = runs["one"]
    text = pdf_text(one / "packs" / "units" / "U02.pdf")
    found = set(CANARY.findall(text))
    assert "CANARY_U02" in found
    assert found <= {"CANARY_U02", "CANARY_U07", "CANARY_U00"}  # itself, its sub-unit, the objective above (chain)
    assert not found & {"CANARY_U01", "CANARY_U03", "CANARY_U04", "CANARY_U05", "CANARY_U06"}  # siblings and theirs
    brief = pdf_text(one / "packs" / "owners" / "S-U05.pdf")
    assert set(CANARY.findall(brief)) - {"CANARY_U00", "CANARY_U01"} == {"CANARY_U05"}  # own items; the chain above


def test_all_with_packs_writes_each_clients_packs_in_its_own_run_folder(runs: dict) -> None:
    assert runs["code_all"] == 0
    every: Path = runs["all"]
    for name, client, other in (("canary", "Canary Holdings", "Second Holdings"),
                                ("second", "Second Holdings", "Canary Holdings")):
        folder = every / name / "packs" / "units"
        assert sorted(p.name for p in folder.iterdir()) == sorted(f"U{i:02d}{s}" for i in range(3) for s in (".html", ".pdf"))
        html = (folder / "U00.html").read_text(encoding="utf-8")
        assert client in html
        assert other not in html
        assert not (every / name / "packs" / "owners").exists()  # only the audiences asked for
    assert not (every / "packs").exists()  # never a shared folder


def test_packs_with_a_cluster_is_refused_before_anything_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["run", "--all", str(tmp_path), "--packs", "units", "--cluster", "local:1"]) == 2
    assert "--packs goes with DIR or with --all on the local pool" in capsys.readouterr().err

"""Real file-system faults for tests: a small tmpfs (a disk that fills up) and read-only mounts.

Tests run as root here, where ``chmod`` blocks nothing, so a read-only folder has to be
a read-only mount. Mounting needs root (or CAP_SYS_ADMIN); where it is refused the
tests that need it skip and say why, rather than pretend with a monkeypatch.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    proc = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount here (needs root or CAP_SYS_ADMIN): {proc.stderr.strip() or proc.returncode}")


def _umount(path: Path) -> None:
    for _ in range(20):
        if subprocess.run(["umount", str(path)], capture_output=True, check=False).returncode == 0:
            return
        subprocess.run(["sync"], check=False)
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@contextlib.contextmanager
def tmpfs(path: Path, size: int, *, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of ``size`` bytes at ``path`` (created), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}" + (",ro" if read_only else ""), "tmpfs", str(path))
    try:
        yield path
    finally:
        _umount(path)


@contextlib.contextmanager
def read_only_view(src: Path, view: Path) -> Iterator[Path]:
    """``src`` seen read-only at ``view`` (a read-only bind mount): writes there fail with EROFS."""
    if os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root")
    view.mkdir(parents=True, exist_ok=True)
    _mount("--bind", str(src), str(view))
    try:
        _mount("-o", "remount,ro,bind", str(view))
        yield view
    finally:
        _umount(view)


def tree(folder: Path) -> dict[str, bytes | str | None]:
    """Every path under ``folder`` (hidden ones too) with its bytes; None for folders, "-> target" for links."""
    out: dict[str, bytes | str | None] = {}
    for p in sorted(folder.rglob("*")):
        key = str(p.relative_to(folder))
        if p.is_symlink():
            out[key] = f"-> {os.readlink(p)}"
        else:
            out[key] = None if p.is_dir() else p.read_bytes()
    return out

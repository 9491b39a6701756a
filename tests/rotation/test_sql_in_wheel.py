"""The wheel carries ``sql/`` and an installed ``rotation.sql`` reads it from there.

Builds the wheel offline with the project's pinned uv (``make install`` puts it in .tools/;
hatchling comes from uv's cache), unpacks it as an installer would into a fresh folder and
reads SQL through the unpacked ``rotation.sql`` from a working directory outside the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UV = REPO / ".tools" / "bin" / "uv"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = str(UV) if UV.exists() else shutil.which("uv")
    if uv is None:
        pytest.skip("no uv to build the wheel with (make install puts it in .tools/bin)")
    out = tmp_path_factory.mktemp("wheel")
    # Build from a copy: uv build writes build/ and egg-info-like debris into the source.
    source = out / "src"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(".venv", ".tools", ".git", "data", "*.duckdb", "__pycache__"),
    )
    built = subprocess.run(
        [uv, "build", "--wheel", "--offline", "--out-dir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if built.returncode != 0:
        pytest.skip(f"the build backend cannot be had offline: {built.stderr.strip()[-300:]}")
    (found,) = out.glob("*.whl")
    return found


def test_the_wheel_holds_every_sql_file(wheel: Path) -> None:
    expected = {
        f"rotation/sql_files/{p.relative_to(REPO / 'sql').as_posix()}"
        for p in (REPO / "sql").rglob("*.sql")
    }
    with zipfile.ZipFile(wheel) as archive:
        packed = {
            name
            for name in archive.namelist()
            if name.startswith("rotation/sql_files/") and name.endswith(".sql")
        }
    assert len(expected) > 100
    assert packed == expected


def test_an_installed_rotation_sql_reads_from_the_wheel(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    probe = (
        "from rotation import sql; "
        "print(sql.__file__); print(sql.ROOT); "
        "print(sql.read('load/upsert_prices.sql') == "
        "(sql.ROOT / 'load' / 'upsert_prices.sql').read_text())"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    ran = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    module, root, same = ran.stdout.split()
    assert Path(module).is_relative_to(site)
    assert Path(root) == site / "rotation" / "sql_files"
    assert same == "True"

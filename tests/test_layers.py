"""The package's layers (pyproject.toml [tool.importlinter]) hold, and the CLI starts light."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    """lint-imports finds no import that runs back up a layer, and the checker stays independent."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    res = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:]
    assert "0 broken" in res.stdout


def test_help_schema_and_validate_do_not_load_the_solver():
    """`--help`, `schema` and `validate` import neither OR-Tools, pandas, scipy nor the solver."""
    code = ("import sys\n"
            "from nachtzorg.cli import main\n"
            "for argv in (['schema'], ['validate', sys.argv[1]]):\n"
            "    assert main(argv) == 0\n"
            "heavy = [m for m in ('ortools', 'pandas', 'scipy', 'nachtzorg.solve', 'nachtzorg.acute', 'folium')\n"
            "         if m in sys.modules]\n"
            "print('HEAVY', heavy)\n")
    res = subprocess.run([sys.executable, "-c", code, str(ROOT / "examples" / "assen" / "scenario.json")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "HEAVY []" in res.stdout

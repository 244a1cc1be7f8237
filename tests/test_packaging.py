"""Every bundled data file is declared as package data, so a non-editable install finds it."""

from __future__ import annotations

import configparser
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_spec_file_is_package_data() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    patterns = [p.strip() for p in cfg["options.package_data"]["computecap.specs"].split(",")]
    files = [p.relative_to(ROOT / "specs").as_posix() for p in (ROOT / "specs").rglob("*")
             if p.is_file() and p.suffix in (".toml", ".md")]
    missing = [f for f in files if not any(fnmatch(f, pat) for pat in patterns)]
    assert files and not missing, f"not in setup.cfg package_data: {missing}"


def test_installed_package_runs_from_another_directory(tmp_path: Path) -> None:
    """Outside the checkout, `import computecap` is the installed package: its data must be there."""
    import subprocess
    import sys
    code = ("import computecap\n"
            "r = computecap.estimate(samples=200)\n"
            "print(computecap.chip('H200').tpp.m_as(''), len(r.companies), computecap.model_preset('gpt-4-scale').id)\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["15832.0", "3", "gpt-4-scale"]


def test_every_subpackage_is_listed_in_setup_cfg() -> None:
    """A non-editable install ships only the packages setup.cfg names (computecap.core was missing once)."""
    root = ROOT
    cfg = configparser.ConfigParser()
    cfg.read(root / "setup.cfg")
    listed = set(cfg["options"]["packages"].split())
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "computecap").rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to [options] packages in setup.cfg"

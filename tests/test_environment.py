"""environment.yml (for conda users) lists exactly the pins of pyproject.toml."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pins_pyproject():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {re.split(r"[=<>!~]", d)[0].strip().lower(): d.replace(" ", "") for d in deps}


def pins_environment():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return {re.split(r"[=<>!~]", d)[0].strip().lower(): d.replace(" ", "") for d in pip if not d.startswith("-e")}


def test_same_pins():
    assert pins_pyproject() == pins_environment()


def test_everything_pinned_exactly():
    for name, spec in pins_pyproject().items():
        assert "==" in spec, f"{name} is not pinned exactly: {spec}"


def test_python_version_matches():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    assert "3.11" in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]

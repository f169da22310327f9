"""Every figure notebook executes with the smoke profile, and its parameters are well-formed."""
import json
import re
from pathlib import Path

import pytest

from bpcore import notebooks

NAMES = notebooks.names()


def test_there_are_notebooks():
    assert "fig01_me_ceiling" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_parameters_cell(name):
    declared = notebooks.declared_parameters(name)
    assert list(declared)[0] == "profile", "profile must be the first parameter"
    assert declared["profile"]["default"].strip("'\"") in ("smoke", "quick", "paper")
    text = (notebooks.NOTEBOOK_DIR / f"{name}.md").read_text()
    cell = re.search(r":tags: \[parameters\]\n(.*?)```", text, re.S).group(1)
    for line in cell.strip().splitlines():
        assert "#" in line, f"{name}: parameter line without a comment: {line!r}"


@pytest.mark.parametrize("name", NAMES)
def test_smoke_execution(name, tmp_path):
    out = notebooks.execute(name, profile="smoke", out_dir=tmp_path)
    nb = json.loads(Path(out).read_text())
    assert notebooks.errors_in(out) == []
    assert any(o.get("output_type") in ("display_data", "execute_result")
               for c in nb["cells"] for o in c.get("outputs", [])), "no figure or table produced"


def test_unknown_parameter_is_rejected():
    with pytest.raises(ValueError, match="no_such_parameter"):
        notebooks.execute("fig01_me_ceiling", profile="smoke", params={"no_such_parameter": 1})


def test_unknown_profile_is_rejected():
    with pytest.raises(ValueError, match="profile"):
        notebooks.execute("fig01_me_ceiling", profile="huge")


def test_unknown_notebook_is_rejected():
    with pytest.raises(ValueError, match="unknown notebook"):
        notebooks.execute("fig99_nothing", profile="smoke")


def test_failing_notebook_raises_with_name_and_traceback(tmp_path):
    with pytest.raises(notebooks.NotebookError, match=r"fig01_me_ceiling[\s\S]*lam_max"):
        notebooks.execute("fig01_me_ceiling", profile="smoke", params={"lam_max": -1.0}, out_dir=tmp_path)

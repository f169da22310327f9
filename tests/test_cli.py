"""python -m bpcore {info, results}: JSON on stdout, clear errors."""
import json
import subprocess
import sys

import pandas as pd

from bpcore.store import Store


def bp(*args, env=None):
    return subprocess.run([sys.executable, "-m", "bpcore", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def test_info_is_json():
    r = bp("info", "--init")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["backend"]["arch"] in ("cpu", "cuda")
    assert info["versions"]["taichi"] == "1.7.4"


def test_results_csv_and_json(tmp_path):
    import os

    Store(tmp_path, fallbacks=[]).save("fig01_me_ceiling", {"mu_star": 0.0, "lam": [0.5]},
                                       pd.DataFrame({"lam": [0.5], "tc_over_omega": [0.04]}))
    env = dict(os.environ, BPCORE_DATA=str(tmp_path))
    r = bp("results", "fig01_me_ceiling", "--format", "json", "--root", str(tmp_path), env=env)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert rows[0]["tc_over_omega"] == 0.04 and rows[0]["mu_star"] == 0.0
    r = bp("results", "fig01_me_ceiling", "--format", "csv", "--root", str(tmp_path), env=env)
    assert "tc_over_omega" in r.stdout.splitlines()[0]


def test_results_unknown_figure_is_a_clear_error(tmp_path):
    r = bp("results", "fig77_nothing", "--root", str(tmp_path))
    assert r.returncode == 2 and "no stored results" in r.stderr

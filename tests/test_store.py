"""Results store: hashing, atomic writes, lookup-before-compute, provenance, fallbacks."""
import json
import math

import pandas as pd
import pytest

from bpcore.store import Store, atomic_write_text, param_hash


def test_hash_is_canonical():
    a = param_hash({"lam": 1, "model": "holstein", "grid": (1, 2)})
    b = param_hash({"model": "holstein", "grid": [1.0, 2.0], "lam": 1.0})
    assert a == b and len(a) == 16
    assert param_hash({"lam": 1.0}) != param_hash({"lam": 1.0000001})


def test_hash_rejects_nan_and_objects():
    with pytest.raises(ValueError):
        param_hash({"lam": math.nan})
    with pytest.raises(TypeError):
        param_hash({"lam": object()})


def test_get_or_compute_computes_once_and_records_provenance(tmp_path):
    store = Store(tmp_path, fallbacks=[])
    calls = []

    def compute():
        calls.append(1)
        return pd.DataFrame({"x": [1.0, 2.0]}), {"bins": pd.DataFrame({"b": [3, 4]})}

    p = {"model": "toy", "lam": 0.5}
    df1 = store.get_or_compute("toy", p, compute, run={"sweeps": 10}, seeds=[1])
    df2 = store.get_or_compute("toy", p, compute)
    assert calls == [1] and df1.equals(df2)
    folder = store.path("toy", p)
    assert json.loads((folder / "params.json").read_text()) == {"lam": 0.5, "model": "toy"}
    prov = json.loads((folder / "provenance.json").read_text())
    for key in ("git", "versions", "backend", "seeds", "run", "started", "finished", "command"):
        assert key in prov
    assert prov["run"] == {"sweeps": 10} and prov["seeds"] == [1]
    assert store.load("toy", p, "bins").b.tolist() == [3, 4]
    store.get_or_compute("toy", p, compute, force=True)
    assert calls == [1, 1]


def test_results_concatenates_with_parameters(tmp_path):
    store = Store(tmp_path, fallbacks=[])
    for lam in (0.5, 1.0):
        store.save("toy", {"lam": lam, "grid": [1, 2]}, pd.DataFrame({"y": [lam * 2]}))
    df = store.results("toy")
    assert sorted(df.lam) == [0.5, 1.0] and "hash" in df and "grid" not in df
    with pytest.raises(LookupError):
        store.results("absent")


def test_fallback_is_read_only(tmp_path):
    ro, rw = tmp_path / "ro", tmp_path / "rw"
    Store(ro, fallbacks=[]).save("toy", {"a": 1}, pd.DataFrame({"v": [7]}))
    store = Store(rw, fallbacks=[ro])
    assert store.load("toy", {"a": 1}).v.tolist() == [7]
    assert store.get_or_compute("toy", {"a": 1}, lambda: pd.DataFrame({"v": [0]})).v.tolist() == [7]
    assert not (rw / "toy").exists()


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "f.txt"
    atomic_write_text(target, "old")

    with pytest.raises(TypeError):
        atomic_write_text(target, 12345)  # not a string: fails while writing
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_bad_topic(tmp_path):
    with pytest.raises(ValueError, match="topic"):
        Store(tmp_path).path("../evil", {})


def _stored_qmc_runs():
    from bpcore.store import default_root

    root = default_root()
    return sorted(p for topic in ("fig06_tc_2d", "fig07_tc_vs_U", "fig08_tc_3d_coulomb")
                  for p in (root / topic).glob("*/bins.csv"))


@pytest.mark.parametrize("bins_csv", _stored_qmc_runs(), ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_stored_qmc_runs_are_consistent(bins_csv):
    """Every stored production QMC run of Figs. 6-8: provenance names a clean commit and the backend;
    the summary row is what its bins give (means; stored errors at least the bin errors), and the chain-group bins add up to the bins."""
    import json

    import numpy as np
    import pandas as pd

    folder = bins_csv.parent
    prov = json.loads((folder / "provenance.json").read_text())
    assert len(prov["git"]["commit"]) == 40 and prov["backend"]["arch"] in ("cpu", "cuda")
    params = json.loads((folder / "params.json").read_text())
    assert params["n_walkers"] >= 16
    bins = pd.read_csv(bins_csv)
    res = pd.read_csv(folder / "results.csv").iloc[0]
    from bpcore.qmc import Result

    again = Result.from_bins(params, bins)  # what cached_run rebuilds from the stored bins
    for name in ("energy", "mass", "r2", "winding2"):
        if getattr(again, name) is None:  # r2 of a one-electron run
            continue
        est = getattr(again, name)
        if not np.isfinite(est.mean):  # m* of a run whose displacement never moved (deep Holstein polaron)
            assert not np.isfinite(res[f"{name}_mean"])
            continue
        assert est.mean == pytest.approx(res[f"{name}_mean"], rel=1e-9)
        if not np.isfinite(res[f"{name}_err"]):  # m* of a run whose displacement moved in a few bins only:
            assert not np.isfinite(est.err)      # the jackknife has no error to give, stored or rebuilt
            continue
        assert est.err <= res[f"{name}_err"] * (1 + 1e-9)  # stored: incl. chain groups
    gb = pd.read_csv(folder / "group_bins.csv")
    assert gb.group.nunique() == 16 and gb.bin.nunique() == len(bins)
    per_bin = gb.assign(e=gb.energy.fillna(0) * gb["count"]).groupby("bin")[["count", "e"]].sum()
    assert np.allclose(per_bin["count"], bins["count"])
    ok = per_bin["count"] > 0
    assert np.allclose((per_bin.e / per_bin["count"])[ok], bins.energy[ok.to_numpy()])

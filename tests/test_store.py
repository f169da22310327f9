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

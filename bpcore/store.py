"""Results store: one folder per computed result, keyed by a parameter hash.

Layout::

    data/<figure-or-topic>/<hash>/params.json       physical + algorithmic parameters (the key)
                                  provenance.json   git commit, versions, backend, seeds, times, command
                                  results.csv       the numbers (pandas-readable)
                                  <name>.csv        optional extra tables (bins, convergence, ...)

The hash is the SHA-1 of the canonical (sorted-key, compact) JSON of the key
parameters, truncated to 16 hex digits. Run-length fields (sweeps, wall time,
number of bins, ...) are *not* part of the key: pass them as ``run=`` so that
extending a run keeps its folder. Every file is written atomically (temporary
file in the same folder, fsync, ``os.replace``).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]


REPO_DATA = REPO_ROOT / "data"


def default_root() -> Path:
    """``$BPCORE_DATA`` if set, else ``<repo>/data``."""
    env = os.environ.get("BPCORE_DATA")
    return Path(env) if env else REPO_DATA


def _canon(value: Any) -> Any:
    """Normalise parameters for hashing: numpy scalars -> Python, tuples -> lists,
    ints -> floats (so ``lam=1`` and ``lam=1.0`` share a key); NaN/inf rejected."""
    try:
        import numpy as np

        if isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, np.ndarray):
            value = value.tolist()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"parameter value {value!r} is not finite")
        return value + 0.0  # -0.0 -> 0.0
    if isinstance(value, Mapping):
        return {str(k): _canon(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    raise TypeError(f"cannot use {type(value).__name__} value {value!r} as a stored parameter")


def canonical_json(params: Mapping) -> str:
    return json.dumps(_canon(dict(params)), sort_keys=True, separators=(",", ":"))


def param_hash(params: Mapping) -> str:
    """16-hex-digit SHA-1 of the canonical JSON of ``params``."""
    return hashlib.sha1(canonical_json(params).encode()).hexdigest()[:16]


def atomic_write_text(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def git_state(root: Path = REPO_ROOT) -> dict:
    """Commit hash and dirty flag of the repository (None outside git)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                capture_output=True, text=True, timeout=10).stdout
        return {"commit": commit, "dirty": bool(status.strip())}
    except Exception:
        return {"commit": None, "dirty": None}


def package_versions() -> dict:
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for name in ("bpcore", "numpy", "scipy", "pandas", "taichi", "matplotlib", "papermill"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def provenance(seeds: Any = None, run: Mapping | None = None, started: str | None = None,
               extra: Mapping | None = None) -> dict:
    from bpcore import backend

    return {
        "git": git_state(),
        "versions": package_versions(),
        "backend": backend.info(),
        "seeds": seeds,
        "run": dict(run or {}),
        "started": started,
        "finished": now(),
        "command": os.environ.get("BPCORE_COMMAND") or " ".join(sys.argv),
        "notebook_parameters": json.loads(os.environ["BPCORE_NB_PARAMS"]) if os.environ.get("BPCORE_NB_PARAMS") else None,
        **dict(extra or {}),
    }


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class Store:
    """A folder of results keyed by parameter hash (see module docstring).

    Writes go to ``root`` (default :func:`default_root`). Reads look in ``root``
    first, then in the read-only ``fallbacks`` (default: the repository's
    committed ``data/`` when ``root`` is elsewhere, e.g. a scratch folder used by
    the tests), so that stored production results are found without being
    overwritten.
    """

    def __init__(self, root: str | os.PathLike | None = None, fallbacks: list | None = None):
        self.root = Path(root) if root is not None else default_root()
        if fallbacks is None:
            fallbacks = [] if self.root.resolve() == REPO_DATA.resolve() else [REPO_DATA]
        self.fallbacks = [Path(f) for f in fallbacks]

    def _find(self, topic: str, params: Mapping, name: str = "results") -> Path | None:
        key = self.path(topic, params).name
        for base in [self.root, *self.fallbacks]:
            f = base / topic / key / f"{name}.csv"
            if f.is_file():
                return f
        return None

    def path(self, topic: str, params: Mapping) -> Path:
        if not topic or "/" in topic or topic.startswith("."):
            raise ValueError(f"topic must be a plain folder name, got {topic!r}")
        return self.root / topic / param_hash(params)

    def exists(self, topic: str, params: Mapping) -> bool:
        return self._find(topic, params) is not None

    def folder(self, topic: str, params: Mapping) -> Path | None:
        """Folder holding the stored result (root or a fallback), or None."""
        f = self._find(topic, params)
        return f.parent if f is not None else None

    def load(self, topic: str, params: Mapping, name: str = "results") -> pd.DataFrame | None:
        f = self._find(topic, params, name)
        return pd.read_csv(f) if f is not None else None

    def save(self, topic: str, params: Mapping, results: pd.DataFrame, *, run: Mapping | None = None,
             seeds: Any = None, started: str | None = None, extra_tables: Mapping[str, pd.DataFrame] | None = None,
             extra_provenance: Mapping | None = None) -> Path:
        """Write one result atomically; the results table last, so its presence marks completion."""
        if not isinstance(results, pd.DataFrame):
            raise TypeError("results must be a pandas DataFrame")
        folder = self.path(topic, params)
        atomic_write_text(folder / "params.json", json.dumps(_canon(dict(params)), indent=1, sort_keys=True) + "\n")
        for name, table in (extra_tables or {}).items():
            atomic_write_text(folder / f"{name}.csv", table.to_csv(index=False))
        prov = provenance(seeds=seeds, run=run, started=started, extra=extra_provenance)
        atomic_write_text(folder / "provenance.json", json.dumps(prov, indent=1, default=str) + "\n")
        atomic_write_text(folder / "results.csv", results.to_csv(index=False))
        return folder

    def get_or_compute(self, topic: str, params: Mapping, compute: Callable[[], pd.DataFrame | tuple],
                       *, force: bool = False, run: Mapping | None = None, seeds: Any = None) -> pd.DataFrame:
        """Return the stored result for ``params``, computing (and saving) it if missing.

        ``compute()`` returns a DataFrame, or ``(DataFrame, {name: extra_table})``.
        """
        if not force:
            cached = self.load(topic, params)
            if cached is not None:
                return cached
        started = now()
        out = compute()
        extra = None
        if isinstance(out, tuple):
            out, extra = out
        self.save(topic, params, out, run=run, seeds=seeds, started=started, extra_tables=extra)
        return out

    def entries(self, topic: str) -> list[Path]:
        """Result folders of a topic; a key stored in ``root`` shadows the same key in a fallback."""
        seen: dict[str, Path] = {}
        for base in [self.root, *self.fallbacks]:
            d = base / topic
            if d.is_dir():
                for p in sorted(d.iterdir()):
                    if (p / "results.csv").is_file():
                        seen.setdefault(p.name, p)
        return [seen[k] for k in sorted(seen)]

    def results(self, topic: str) -> pd.DataFrame:
        """Every stored number of a topic in one table: result columns, plus each scalar
        parameter as a column (where the result does not already have it) and ``hash``."""
        frames = []
        for folder in self.entries(topic):
            df = pd.read_csv(folder / "results.csv")
            params = json.loads((folder / "params.json").read_text())
            for k, v in params.items():
                if k not in df.columns and (v is None or isinstance(v, (int, float, str, bool))):
                    df[k] = v
            df["hash"] = folder.name
            frames.append(df)
        if not frames:
            raise LookupError(f"no stored results under {self.root / topic}")
        return pd.concat(frames, ignore_index=True)

"""Host-side driver: thermalisation, blocks/bins, capacity growth, checkpoint/resume."""
from __future__ import annotations

import io
import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bpcore.qmc.engine import MOVES, N_ACC, OBS, CapacityError, Engine
from bpcore.store import atomic_write_bytes

_ENGINES: dict = {}


def get_engine(W: int, CAP: int, action: str = "lines") -> Engine:
    """Engines are cached per (W, CAP, action): kernels compile once per process and shape.
    ``action="retarded"``: the Holstein engine with the phonons integrated out
    (:class:`bpcore.qmc.retarded.RetardedEngine`)."""
    key = (int(W), int(CAP), action)
    if key not in _ENGINES:
        from bpcore import backend

        if action == "retarded":
            from bpcore.qmc.retarded import RetardedEngine as cls
        else:
            cls = Engine
        _ENGINES[key] = cls(int(W), int(CAP), threads=backend.cpu_threads())
    return _ENGINES[key]


def _atomic_savez(path: Path, **arrays) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


class Driver:
    def __init__(self, params: dict, W: int, checkpoint=None):
        self.p = dict(params)
        self.W = int(W)
        self.checkpoint = Path(checkpoint) if checkpoint else None
        self.cap = int(self.p["capacity"])
        K, G = self.p["clone"], self.n_groups()
        if K > 1 and (self.W % G or (self.W // G) % K):
            # a family of copies must lie inside one chain group (honest chain-group errors)
            raise ValueError(f"clone={K} must divide the {self.W // G} chains of each of the {G} chain "
                             f"groups (n_walkers={self.W})")

    def counts(self):
        """Update attempts per chain and sweep for (pair, line, shift, swap, end, cut2, translate)."""
        p = self.p
        probs = np.asarray(p["move_probs"], float)
        probs = probs / probs.sum()
        out = [int(max(1, round(x * p["n_steps"]))) if x > 0 else 0 for x in probs]
        if p["dim"] == 1:
            out[3] = 0
        if p["electrons"] == 1:
            out[5] = 0
            out[6] = 0
        if len(out) > 7 and p["model"] != "bond-peierls":
            out[7] = 0
        return out

    def n_groups(self) -> int:
        return int(min(16, self.W))

    def group_index(self) -> np.ndarray:
        return (np.arange(self.W) * self.n_groups()) // self.W

    @staticmethod
    def chain_errors(groups: np.ndarray) -> dict:
        """Jackknife errors over groups of independent chains (each group's measurements summed over
        the whole run). Unlike the errors from time bins of chain averages, these stay honest when a
        chain's autocorrelation time is longer than a bin (the bins are then correlated). Groups
        without measurements (both chains stuck outside the physical sector) are left out; with fewer
        than two groups left there is no estimate."""
        g = np.asarray(groups, float)
        g = g[g[:, 0] > 0]
        G = g.shape[0]
        out = {}
        if G < 2:
            return out
        tot = g.sum(axis=0)
        for k, name in enumerate(OBS):
            if k == 0:
                continue
            jk = (tot[k] - g[:, k]) / (tot[0] - g[:, 0])
            out[name] = float(np.sqrt((G - 1) / G * np.sum((jk - jk.mean()) ** 2)))
        return out

    def _block(self, eng, n, measure):
        return eng.run_block(n, measure, counts=self.counts(), model=0 if self.p["model"] == "bond-peierls" else 1)

    # -------------------------------------------------------------- helpers
    def _engine(self, W: int | None = None) -> Engine:
        p = self.p
        action = p.get("action", "lines")
        eng = get_engine(self.W if W is None else W, self.cap, action)
        extra = {"window": p["window"]} if action == "retarded" else {}
        eng.configure(**extra, model=p["model"], dim=p["dim"], L=p["L"], electrons=p["electrons"], beta=p["beta"],
                      omega=p["omega"], t=p["t"], coup=p["coupling"], U=p["U"], V=p["V"], eta=p["eta"],
                      seed=p["seed"], n_steps=p["n_steps"], move_probs=p["move_probs"],
                      cut_width=p["cut_width"], r_max=p["r_max"] if p["L"] == 0 else 0,
                      relative_winding=p.get("relative_winding", True))
        return eng

    def _ckpt_key(self) -> str:
        key = {k: v for k, v in self.p.items() if k != "capacity"}
        key["W"] = self.W
        return json.dumps(key, sort_keys=True, default=str)

    def _save(self, eng: Engine, ck: dict) -> None:
        if self.checkpoint is None:
            return
        st = eng.get_state()
        gb = {} if ck["group_bins"] is None else dict(
            group_bins=np.array(ck["group_bins"], dtype=float).reshape(-1, self.n_groups(), len(OBS)))
        _atomic_savez(self.checkpoint, key=np.array(self._ckpt_key()), cap=np.array(self.cap),
                      therm_done=np.array(ck["therm_done"]), block_sweeps=np.array(ck["block_sweeps"]),
                      bins=np.array(ck["bins"], dtype=float).reshape(-1, len(OBS)),
                      att=ck["att"], ok=ck["ok"], groups=ck["groups"], **gb,
                      **{f"st_{k}": v for k, v in st.items()})

    def _load(self):
        if self.checkpoint is None or not self.checkpoint.is_file():
            return None
        z = np.load(self.checkpoint, allow_pickle=False)
        if str(z["key"]) != self._ckpt_key():
            raise ValueError(f"checkpoint {self.checkpoint} belongs to a run with other parameters")
        st = {k[3:]: z[k] for k in z.files if k.startswith("st_")}
        ck = dict(therm_done=int(z["therm_done"]), block_sweeps=int(z["block_sweeps"]),
                  bins=[list(r) for r in z["bins"]], att=z["att"], ok=z["ok"],
                  groups=z["groups"] if "groups" in z.files else np.zeros((self.n_groups(), len(OBS))),
                  # per-bin sums of each chain group (absent in checkpoints written before they existed)
                  group_bins=[g for g in z["group_bins"]] if "group_bins" in z.files else None)
        return int(z["cap"]), st, ck

    def _fresh_engine(self, bs: int) -> Engine:
        """Engine with all W chains at their starting configuration. With ``pre_therm`` > 0 and
        ``clone`` = K > 1 (warm start), W/K chains are first thermalised for ``pre_therm`` sweeps and
        each is then copied to K consecutive chains. The copies draw different random numbers (the
        stream is keyed by the chain index) and decorrelate during the ordinary ``therm`` sweeps that
        follow; a family of copies always lies inside one chain group, so the chain-group errors
        stay honest. Any starting configuration is legitimate; this one is simply closer to
        equilibrium than empty worldlines, at 1/K of the cost of thermalising every chain."""
        p = self.p
        K, pre = p["clone"], p["pre_therm"]
        if K <= 1 or pre <= 0:
            eng = self._engine()
            eng.reset()
            return eng
        small = self._engine(self.W // K)
        small.reset()
        done = 0
        while done < pre:
            n = min(bs, pre - done)
            self._block(small, n, 0)
            done += n
        st = {k: np.repeat(v, K, axis=0) for k, v in small.get_state().items()}
        eng = self._engine()
        eng.set_state(st)
        return eng

    # -------------------------------------------------------------- main loop
    def run(self, sweeps=None, time_limit=None, max_blocks=None, show_progress=True):
        from bpcore import backend
        from bpcore.progress import progress
        from bpcore.qmc import Result, group_bins_frame

        p = self.p
        t_start = time.perf_counter()
        if p["block_sweeps"] is not None:
            bs = int(p["block_sweeps"])
        elif sweeps is not None:
            bs = max(1, int(sweeps) // int(p["n_bins"]))
        else:
            bs = 10
        therm = p["therm"]
        therm_time = None
        if therm is None:
            # one electron: at least 200 sweeps and a quarter of the measured sweeps; two electrons
            # (slower structural relaxation from the empty start, see book/qmc.md): at least 1000
            # and half of the measured sweeps. With a time limit alone, additionally a fifth
            # (one electron) or a third (two electrons) of the time budget.
            two = p["electrons"] == 2
            lo, frac = (1000, 2) if two else (200, 4)
            therm = max(lo, (int(sweeps) // frac) if sweeps is not None else lo)
            if sweeps is None and time_limit is not None:
                therm_time = (1 / 3 if two else 0.2) * float(time_limit)
        n_target = math.ceil(int(sweeps) / bs) if sweeps is not None else None
        compile_s = None
        restarts = 0
        while True:
            loaded = self._load()
            t0 = time.perf_counter()
            if loaded is not None:
                cap_ck, st, ck = loaded
                self.cap = max(self.cap, cap_ck)
                eng = self._engine()
                eng.set_state(st)
                bs = ck["block_sweeps"]
                n_target = math.ceil(int(sweeps) / bs) if sweeps is not None else None
            else:
                eng = None
                ck = dict(therm_done=0, block_sweeps=bs, bins=[], att=np.zeros(N_ACC, np.int64),
                          ok=np.zeros(N_ACC, np.int64), groups=np.zeros((self.n_groups(), len(OBS))), group_bins=[])
            try:
                if eng is None:
                    eng = self._fresh_engine(bs)
                    self._save(eng, ck)
                # thermalisation in blocks of bs sweeps (no measurements); with therm_r_max the first
                # quarter of it runs with the tighter wall (any dynamics may thermalise); every later
                # block restores r_max, so sampling (and a resumed run) always has the normal wall
                n_wall = therm // 4 if p.get("therm_r_max") else 0
                while ck["therm_done"] < therm or (
                        therm_time is not None and time.perf_counter() - t_start < therm_time):
                    n = bs if ck["therm_done"] >= therm else min(bs, therm - ck["therm_done"])
                    walled = ck["therm_done"] < n_wall
                    if walled:
                        n = min(n, n_wall - ck["therm_done"])
                    if n_wall:
                        eng.set_r_max(p["therm_r_max"] if walled else p["r_max"])
                    tb = time.perf_counter()
                    self._block(eng, n, 0)
                    if compile_s is None:
                        compile_s = time.perf_counter() - tb
                    ck["therm_done"] += n
                    self._save(eng, ck)
                t_sample = time.perf_counter()
                therm_wall = t_sample - t0
                done_here = 0
                total = n_target if n_target is not None else None
                it = progress(iter(int, 1), total=total, desc="qmc blocks") if show_progress else iter(int, 1)
                for _ in it:
                    if n_target is not None and len(ck["bins"]) >= n_target:
                        break
                    if time_limit is not None and time.perf_counter() - t_start >= time_limit and len(ck["bins"]) >= 2:
                        break
                    if max_blocks is not None and done_here >= max_blocks:
                        break
                    tb = time.perf_counter()
                    acc, att, ok = self._block(eng, bs, 1)
                    if compile_s is None:
                        compile_s = time.perf_counter() - tb
                    tot = acc.sum(axis=0)
                    # per-group sums over the independent chains (honest error bars, see chain_errors)
                    np.add.at(ck["groups"], self.group_index(), acc)
                    if ck["group_bins"] is not None:
                        gb = np.zeros((self.n_groups(), len(OBS)))
                        np.add.at(gb, self.group_index(), acc)
                        ck["group_bins"].append(gb)
                    cnt = tot[0]
                    row = [cnt] + [(tot[k] / cnt if cnt > 0 else np.nan) for k in range(1, len(OBS))]
                    ck["bins"].append(row)
                    ck["att"] = ck["att"] + att.sum(axis=0)
                    ck["ok"] = ck["ok"] + ok.sum(axis=0)
                    done_here += 1
                    self._save(eng, ck)
                break
            except CapacityError:
                restarts += 1
                self.cap *= 2
                if restarts > 6:
                    raise
                if loaded is None and self.checkpoint is None:
                    continue
                continue
        bins = pd.DataFrame(ck["bins"], columns=list(OBS))
        bins.insert(0, "bin", np.arange(len(bins)))
        att, ok = ck["att"], ck["ok"]
        acc_rates = {}
        for i, m in enumerate(MOVES):
            for j, kind in enumerate(("add", "remove")):
                a = att[2 * i + j]
                if a > 0:
                    acc_rates[f"{m}_{kind}"] = float(ok[2 * i + j] / a)
        wall = time.perf_counter() - t_start
        n_upd = float(len(bins) * bs + ck["therm_done"]) * sum(self.counts()) * self.W
        info = dict(n_walkers=self.W, capacity=self.cap, block_sweeps=bs, therm_sweeps=ck["therm_done"],
                    sweeps_done=int(len(bins) * bs), wall_s=wall, compile_s=compile_s or 0.0,
                    therm_wall_s=therm_wall,
                    proposed_updates=n_upd, capacity_restarts=restarts,
                    complete=bool(n_target is None or len(bins) >= n_target))
        params = {k: v for k, v in p.items()}
        params["n_walkers"] = self.W
        params["sweeps"] = None if sweeps is None else int(sweeps)
        params["time_limit"] = time_limit
        cerr = self.chain_errors(ck["groups"])
        info.update({f"{k}_err_chains": v for k, v in cerr.items()})
        group_bins = None if ck["group_bins"] is None else group_bins_frame(np.array(ck["group_bins"]))
        res = Result.from_bins(params, bins, acceptance=acc_rates, backend=backend.arch(), info=info,
                               group_bins=group_bins)
        if group_bins is None:  # from_bins already widened the errors from the same groups' bins
            res.widen_errors(cerr)
        return res

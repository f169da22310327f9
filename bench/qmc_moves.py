"""Per-move cost of the QMC kernels (not a test).

Thermalises W chains at a parameter point (cached in .cache/bench/ so that code versions are timed on
identical configurations), then times every update kernel separately and prints, as JSON, the wall
time per attempted update and chain (mean, and minimum over repetitions: the stable figure on a shared
machine; ``--threads 1`` steadies it further), and the throughput in proposed updates per second per CPU
core for the default move mix. Every timed call starts from the same configurations. Compile time is
excluded (one warm-up call per kernel).

    python bench/qmc_moves.py [--dim 2] [--beta 20] [--lam 1] [--U 8] [--walkers 2048] [--therm 300] [--threads N]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import time
from pathlib import Path

import numpy as np


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="bond-peierls")
    ap.add_argument("--dim", type=int, default=2)
    ap.add_argument("--L", type=int, default=0)
    ap.add_argument("--beta", type=float, default=20.0)
    ap.add_argument("--lam", type=float, default=1.0)
    ap.add_argument("--U", type=float, default=8.0)
    ap.add_argument("--walkers", type=int, default=2048)
    ap.add_argument("--therm", type=int, default=300, help="sweeps before timing (cached)")
    ap.add_argument("--reps", type=int, default=15, help="timed calls per kernel, each from the same state")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    args = ap.parse_args()

    import taichi as ti

    from bpcore import backend
    from bpcore.qmc import resolve_params
    from bpcore.qmc.driver import Driver
    from bpcore.qmc.engine import MOVES

    arch = backend.init(threads=args.threads)
    p = resolve_params(args.model, args.dim, args.L, 2, args.beta, 1.0, args.lam, U=args.U, seed=1)
    drv = Driver(p, args.walkers)
    eng = drv._engine()
    tag = hashlib.sha1(json.dumps([sorted(p.items()), args.walkers, args.therm], default=str).encode()).hexdigest()[:12]
    cache = Path(".cache/bench") / f"moves_{tag}.npz"
    if cache.is_file():
        z = np.load(cache)
        eng.set_state({k: z[k] for k in z.files})
    else:
        eng.reset()
        t0 = time.perf_counter()
        for _ in range(args.therm // 10):
            drv._block(eng, 10, 0)
        print(f"# thermalised {args.therm} sweeps in {time.perf_counter() - t0:.0f} s", flush=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, **eng.get_state())
    st = eng.get_state()
    counts = drv.counts()
    names = MOVES[:7]  # the default move set (the opt-in bubble move is not timed)
    model = 0 if p["model"] == "bond-peierls" else 1
    kern = [lambda c, m=m: eng.k_move(m, c, model) for m in range(len(names))]
    W = args.walkers
    out = {"arch": arch, "cpu_count": os.cpu_count(), "params": {k: p[k] for k in
           ("model", "dim", "L", "beta", "lam", "U", "omega")}, "walkers": W,
           "events_per_electron": float(st["nev"].mean()), "us_per_update_wall": {}}
    out["us_per_update_wall_min"] = {}
    tot_wall = tot_cpu = 0.0
    tot_upd = 0
    for name, k, c in zip(names, kern, counts):
        if c == 0:
            continue
        eng.set_state(st)
        k(c)
        ti.sync()  # warm-up / compile
        # every repetition starts from the same configurations; the minimum over repetitions is the
        # stable figure on a shared machine, the mean (with its CPU time) gives the throughput
        walls = []
        for _ in range(args.reps):
            eng.set_state(st)
            ti.sync()
            t0, c0 = time.perf_counter(), cpu_seconds()
            k(c)
            ti.sync()
            walls.append(time.perf_counter() - t0)
            tot_cpu += cpu_seconds() - c0
        n = c * W
        out["us_per_update_wall"][name] = round(1e6 * float(np.mean(walls)) / n, 4)
        out["us_per_update_wall_min"][name] = round(1e6 * float(np.min(walls)) / n, 4)
        tot_wall += float(np.sum(walls))
        tot_upd += args.reps * n
    eng.set_state(st)
    eng.k_measure()
    ti.sync()
    t0 = time.perf_counter()
    for _ in range(args.reps):
        eng.k_measure()
    ti.sync()
    out["us_per_measure_wall"] = round(1e6 * (time.perf_counter() - t0) / (args.reps * W), 4)
    out["threads_used_estimate"] = round(tot_cpu / tot_wall, 2)
    out["updates_per_s_per_core"] = tot_upd / tot_cpu
    out["updates_per_s_wall"] = tot_upd / tot_wall
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

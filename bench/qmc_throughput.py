"""Benchmark of bpcore.qmc (not a test).

Prints (JSON) the compile time, proposed updates per second per CPU core, and the CPU time needed
to reach a target relative error on the bipolaron mass at the reference point of issue 3:
2D bond-Peierls, t/Omega = 1, lambda = 1, U = 8t (unbounded lattice), beta = 20 by default.

    BPCORE_ARCH=cpu python bench/qmc_throughput.py [--beta 20] [--time 120] [--target 0.01]

The CPU time to the target error is extrapolated from the measured error after ``--time`` seconds
of sampling (error ~ 1/sqrt(time)); thermalisation is counted in the sampling time.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import time


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--beta", type=float, default=20.0)
    ap.add_argument("--lam", type=float, default=1.0)
    ap.add_argument("--U", type=float, default=8.0)
    ap.add_argument("--time", type=float, default=120.0, help="sampling wall time (s)")
    ap.add_argument("--target", type=float, default=0.01, help="target relative error on m*")
    ap.add_argument("--walkers", type=int, default=None)
    args = ap.parse_args()

    from bpcore import backend, qmc

    arch = backend.init()
    kw = dict(model="bond-peierls", dim=2, L=0, electrons=2, beta=args.beta, omega=1.0, lam=args.lam, U=args.U,
              seed=1, n_walkers=args.walkers, progress=False)
    # compile (and warm up) on a tiny run with the same shapes
    t0, c0 = time.perf_counter(), cpu_seconds()
    warm = qmc.run(**{**kw, "beta": args.beta}, sweeps=2, therm=1, n_bins=2)
    compile_wall = time.perf_counter() - t0
    t1, c1 = time.perf_counter(), cpu_seconds()
    res = qmc.run(**kw, time_limit=args.time)
    wall = time.perf_counter() - t1
    cpu = cpu_seconds() - c1
    cores = cpu / wall if wall > 0 else float("nan")
    upd = res.info["proposed_updates"]
    rel = res.mass.err / res.mass.mean
    cpu_to_target = cpu * (rel / args.target) ** 2
    out = {
        "arch": arch, "cpu_count": os.cpu_count(), "threads_used_estimate": round(cores, 2),
        "params": {k: v for k, v in kw.items() if k != "progress"},
        "compile_plus_warmup_wall_s": round(compile_wall, 2), "warmup_compile_s": warm.info["compile_s"],
        "sampling_wall_s": round(wall, 2), "sampling_cpu_s": round(cpu, 2),
        "proposed_updates": upd, "updates_per_s_per_core": upd / cpu if cpu > 0 else None,
        "n_walkers": res.info["n_walkers"], "sweeps_done": res.info["sweeps_done"],
        "therm_sweeps": res.info["therm_sweeps"],
        "mass": res.mass.to_dict(), "r2": res.r2.to_dict(), "energy": res.energy.to_dict(),
        "mass_rel_err": rel, "cpu_s_to_target_rel_err_on_mass": cpu_to_target, "target": args.target,
        "acceptance": res.acceptance,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

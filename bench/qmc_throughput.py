"""Benchmark of bpcore.qmc (not a test).

Prints (JSON) the compile time, proposed updates per second per CPU core, and the CPU time needed
to reach a target relative error on the bipolaron mass at the reference point of issue 3:
2D bond-Peierls, t/Omega = 1, lambda = 1, U = 8t (unbounded lattice), beta = 20 by default.

    BPCORE_ARCH=cpu python bench/qmc_throughput.py [--beta 20] [--walkers 32] [--therm 8000] [--sweeps 10000] [--seed 1]

``--move-probs '[0.5,0.1,0.3,0.05,0.02,0.08,0.02]'`` measures another move mix, here the previous default
(``bpcore.qmc.PAIR_L0_MOVES_BOND_PEIERLS_V1``), which costs about 1.4 times the present one for m*
(book/qmc_performance.md).

The defaults thermalise each of 32 independent chains for 8000 sweeps from empty worldlines, the first
quarter of them inside the thermalisation wall (``therm_r_max``, default for this point): without the
wall the pair needs 10^4-2 x 10^4 sweeps to relax, with it about 4500 (``bench/qmc_relaxation.py``,
``bench/qmc_therm_wall.py``, tables in book/qmc.md), and a warm start from fewer chains copied
``--clone`` times does not shorten that, because the copies share the unrelaxed slow mode.
Thermalisation is a fixed cost per chain, so the benchmark uses few chains (32: still 16 groups of 2
for the chain-group errors) and measures them longer. Thermalisation (``--pre-therm`` sweeps on
n_walkers/``--clone`` chains, then ``--therm`` sweeps on all chains) is timed apart from sampling. The
CPU time to the target error is the thermalisation CPU time plus the sampling CPU time scaled by
(error / target)^2.
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
    ap.add_argument("--sweeps", type=int, default=10000, help="measured sweeps per chain")
    ap.add_argument("--therm", type=int, default=8000, help="thermalisation sweeps on all chains")
    ap.add_argument("--pre-therm", type=int, default=0, help="warm start: sweeps on n_walkers/clone chains")
    ap.add_argument("--clone", type=int, default=1, help="warm start: copies per pre-thermalised chain")
    ap.add_argument("--target", type=float, default=0.01, help="target relative error on m*")
    ap.add_argument("--walkers", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--therm-r-max", type=int, default=None, help="thermalisation wall (default: run()'s)")
    ap.add_argument("--move-probs", default=None,
                    help="relative attempt weights of the updates, JSON list in the order of MOVES (default: run()'s)")
    args = ap.parse_args()

    from bpcore import backend, qmc

    arch = backend.init()
    kw = dict(model="bond-peierls", dim=2, L=0, electrons=2, beta=args.beta, omega=1.0, lam=args.lam, U=args.U,
              seed=args.seed, n_walkers=args.walkers, progress=False, pre_therm=args.pre_therm, clone=args.clone,
              therm_r_max=args.therm_r_max)
    if args.move_probs is not None:
        kw["move_probs"] = [float(x) for x in json.loads(args.move_probs)]
    # compile (and warm up) on a tiny run with the same shapes
    t0 = time.perf_counter()
    warm = qmc.run(**{**kw, "pre_therm": min(args.pre_therm, 1)}, sweeps=2, therm=1, n_bins=2)
    compile_wall = time.perf_counter() - t0
    t2, c2 = time.perf_counter(), cpu_seconds()
    res = qmc.run(**kw, sweeps=args.sweeps, therm=args.therm)
    total_wall, total_cpu = time.perf_counter() - t2, cpu_seconds() - c2
    # thermalisation (pre-thermalisation included) is timed by the driver; CPU split in proportion
    therm_wall = res.info["therm_wall_s"]
    therm_cpu = total_cpu * therm_wall / total_wall
    wall, cpu = total_wall - therm_wall, total_cpu - therm_cpu
    cores = total_cpu / total_wall if total_wall > 0 else float("nan")
    n_upd_sampling = res.info["proposed_updates"] * args.sweeps / (args.sweeps + res.info["therm_sweeps"])
    rel = res.mass.err / res.mass.mean
    cpu_to_target = therm_cpu + cpu * (rel / args.target) ** 2
    out = {
        "arch": arch, "cpu_count": os.cpu_count(), "threads_used_estimate": round(cores, 2),
        "params": {k: v for k, v in kw.items() if k != "progress"},
        "compile_plus_warmup_wall_s": round(compile_wall, 2), "warmup_compile_s": warm.info["compile_s"],
        "therm_wall_s": round(therm_wall, 2), "therm_cpu_s": round(therm_cpu, 2),
        "sampling_wall_s": round(wall, 2), "sampling_cpu_s": round(cpu, 2),
        "proposed_updates_sampling": n_upd_sampling,
        "updates_per_s_per_core": n_upd_sampling / cpu if cpu > 0 else None,
        "n_walkers": res.info["n_walkers"], "sweeps_done": res.info["sweeps_done"],
        "therm_sweeps": res.info["therm_sweeps"],
        "mass": res.mass.to_dict(), "r2": res.r2.to_dict(), "energy": res.energy.to_dict(),
        "n_phonons": res.n_phonons.to_dict(), "drift_sigma": res.info.get("drift_sigma"),
        "mass_rel_err": rel, "cpu_s_to_target_rel_err_on_mass": cpu_to_target, "target": args.target,
        "acceptance": res.acceptance,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

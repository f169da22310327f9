"""Relaxation of a pair on the unbounded lattice with and without a thermalisation wall (not a test).

From empty worldlines, runs ``--wall-sweeps`` sweeps with the tighter wall |r_up - r_dn|_inf <= ``--wall``
on the pair's size, then releases it to r_max and runs ``--sweeps`` more, printing the means of energy,
R^2, <|Delta R|^2>, phonon number, events and lines over all chains for every 500 sweeps. ``--wall 0``
is the plain relaxation from empty worldlines. This is what ``therm_r_max`` (``PAIR_L0_THERM_R_MAX``)
does during the first quarter of a run's thermalisation; compare the curves with the equilibrium values
of ``qmc_relaxation.py`` (book/qmc.md). The cases quoted in the book (about 3 minutes each on 2 cores):

    python bench/qmc_therm_wall.py --wall 2 --wall-sweeps 1000 --sweeps 6000
    python bench/qmc_therm_wall.py --wall 1 --wall-sweeps 2000 --sweeps 8000
"""
from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dim", type=int, default=2)
    ap.add_argument("--beta", type=float, default=20.0)
    ap.add_argument("--omega", type=float, default=1.0)
    ap.add_argument("--lam", type=float, default=1.0)
    ap.add_argument("--U", type=float, default=8.0)
    ap.add_argument("--walkers", type=int, default=128)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--wall", type=int, default=2, help="wall during the first sweeps (0: none)")
    ap.add_argument("--wall-sweeps", type=int, default=1000)
    ap.add_argument("--sweeps", type=int, default=6000, help="sweeps after the release")
    args = ap.parse_args()

    from bpcore import backend
    from bpcore.qmc import resolve_params
    from bpcore.qmc.driver import Driver
    from bpcore.qmc.engine import OBS

    backend.init()
    p = resolve_params("bond-peierls", args.dim, 0, 2, args.beta, args.omega, args.lam, U=args.U,
                       seed=args.seed, therm_r_max=0)
    p["capacity"] = 1024
    drv = Driver(p, args.walkers)
    eng = drv._engine()
    eng.reset()
    cols = ["energy", "r2", "winding2", "nph", "events", "lines"]
    done, t0 = 0, time.perf_counter()
    print("phase    sweep " + " ".join(f"{c:>9}" for c in cols))
    for phase, n_sweeps in (("walled", args.wall_sweeps if args.wall else 0), ("free", args.sweeps)):
        eng.set_r_max(args.wall if phase == "walled" else p["r_max"])
        for _ in range(n_sweeps // 500):
            acc, _, _ = drv._block(eng, 500, 1)
            done += 500
            tot = acc.sum(axis=0)
            vals = [tot[OBS.index(c)] / tot[0] for c in cols]
            print(f"{phase:6} {done:7d} " + " ".join(f"{v:9.4f}" for v in vals), flush=True)
    print(f"# {time.perf_counter() - t0:.0f} s wall")


if __name__ == "__main__":
    main()

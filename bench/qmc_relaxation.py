"""Relaxation and autocorrelation of a two-electron QMC run from empty worldlines (not a test).

Runs ``--walkers`` chains with no thermalisation, keeps ``--bins`` bins of the measured sweeps, and
prints (1) the bin means of energy, phonon number, R^2, events and lines along the run, (2) the
averages over the bins after ``--discard`` sweeps with the plain bin error and the errors of blocks of
2, 4, 8, ... bins (``bpcore.stats.binning``, at least 4 blocks; a growing error means an
autocorrelation time longer than a bin), and (3) the exact values of the same ensemble
(``bpcore.ed.winding_sector_thermal``: sector of zero relative winding of the K = 0 trace, at the
same beta) with the deviation in units of the largest block error.

    python bench/qmc_relaxation.py --N 3 --beta 12 --lam 1 --U 8 --walkers 128 --sweeps 40000 \
        --bins 80 --discard 10000 --n-ph-max 18

(the case quoted in book/qmc.md; about 10 minutes on 2 cores). ``--N 0`` is the unbounded lattice
(no relative winding, no ED); ``--dim`` 1-3. The reference point of issue 3 (also in book/qmc.md):

    python bench/qmc_relaxation.py --dim 2 --N 0 --beta 20 --lam 1 --U 8 --walkers 128 --sweeps 30000 \
        --bins 60 --discard 15000
"""
from __future__ import annotations

import argparse
import json


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="bond-peierls")
    ap.add_argument("--dim", type=int, default=1)
    ap.add_argument("--N", type=int, default=3, help="ring size (0: unbounded lattice)")
    ap.add_argument("--beta", type=float, default=12.0)
    ap.add_argument("--omega", type=float, default=1.0)
    ap.add_argument("--lam", type=float, default=1.0)
    ap.add_argument("--U", type=float, default=8.0)
    ap.add_argument("--walkers", type=int, default=128)
    ap.add_argument("--sweeps", type=int, default=40000, help="measured sweeps (from empty worldlines)")
    ap.add_argument("--bins", type=int, default=80)
    ap.add_argument("--discard", type=int, default=10000, help="sweeps left out of the averages")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--n-ph-max", type=int, default=None, help="ED phonon cutoff (default: no ED)")
    args = ap.parse_args()

    from bpcore.qmc import run
    from bpcore.stats import binning

    r = run(args.model, args.dim, args.N, 2, args.beta, args.omega, args.lam, U=args.U, seed=args.seed,
            sweeps=args.sweeps, therm=0, n_bins=args.bins, n_walkers=args.walkers,
            relative_winding=args.N == 0, progress=True)
    b = r.bins
    per_bin = args.sweeps // len(b)
    cols = ["energy", "nph", "r2", "events", "lines"] + (["winding2"] if args.N == 0 else [])
    print(f"bin means ({per_bin} sweeps per bin, {args.walkers} chains):")
    table = b[cols].assign(sweep=(b["bin"] + 1) * per_bin)
    print(table[["sweep"] + cols].to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    kept = b.iloc[args.discard // per_bin:]
    ref = {}
    if args.n_ph_max is not None and args.N > 0:
        from bpcore import ed

        w0 = ed.winding_sector_thermal(args.model, args.N, args.beta, 1.0, args.omega, args.lam, args.U,
                                       0.0, args.n_ph_max, k=64)
        ref = {"energy": w0["e_beta"], "nph": w0["n_ph"], "r2": w0["r2"]}
    out = {}
    for c in cols:
        x = kept[c].to_numpy(float)
        errs = {size * per_bin: err for size, err, _ in binning(x, min_bins=4)}
        row = {"mean": float(x.mean()), "err_by_block_sweeps": errs}
        if c in ref:
            row["exact"] = float(ref[c])
            row["dev_sigma"] = float((x.mean() - ref[c]) / max(errs.values()))
        out[c] = row
    if "winding2" in out:  # m* = d beta / <w^2>, error from the largest block error of <w^2>
        w = out["winding2"]
        m = args.dim * args.beta / w["mean"]
        out["mass"] = {"mean": m, "err": m * max(w["err_by_block_sweeps"].values()) / w["mean"]}
    print(json.dumps({"after_sweeps": args.discard, "estimates": out, "acceptance": r.acceptance}, indent=1))


if __name__ == "__main__":
    main()

"""Benchmark (not a test): the two Holstein engines side by side at one parameter point.

Runs the line engine (``action="lines"``) and the engine with the phonons integrated out
(``action="retarded"``) on the same point and prints, per engine, compile time, run wall time, the
estimates of E, m*, R², N_ph with errors, the drift check and the acceptance rates (JSON). Where both
engines mix, their estimates must agree; where the line engine cannot cut its worldlines (strongly
bound pairs), they do not (book/qmc.md).

    BPCORE_ARCH=cpu python bench/qmc_engines_holstein.py [--dim 2] [--omega 1] [--lam 0.6] [--U 0]
        [--electrons 2] [--beta 10] [--walkers 64] [--therm 1000] [--sweeps 2000] [--seed 1]

Measured 2026-12-04 (book/qmc.md): at the defaults (2D pair, U = 0, lambda = 0.6: an on-site bipolaron) the
line engine fails its drift check and disagrees (m* 22(5) against 262(66), R^2 1.5(4) against 0.18(3));
with --lam 0.35 (an unbound pair inside the wall) the two agree within 1.7 sigma on E, m*, R^2 and N_ph,
and the retarded engine takes 15 times longer.
"""
import argparse
import json
import math


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dim", type=int, default=2)
    ap.add_argument("--L", type=int, default=0)
    ap.add_argument("--omega", type=float, default=1.0)
    ap.add_argument("--lam", type=float, default=0.6)
    ap.add_argument("--U", type=float, default=0.0)
    ap.add_argument("--electrons", type=int, default=2)
    ap.add_argument("--beta", type=float, default=10.0)
    ap.add_argument("--walkers", type=int, default=64)
    ap.add_argument("--therm", type=int, default=1000)
    ap.add_argument("--sweeps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from bpcore import backend, qmc

    backend.init()
    out = {}
    for action in ("lines", "retarded"):
        r = qmc.run("holstein", args.dim, args.L, args.electrons, args.beta, args.omega, args.lam, U=args.U,
                    seed=args.seed, n_walkers=args.walkers, therm=args.therm, sweeps=args.sweeps,
                    progress=False, action=action)
        est = {k: getattr(r, k).to_dict() for k in ("energy", "mass", "n_phonons")}
        if r.r2 is not None:
            est["r2"] = r.r2.to_dict()
        out[action] = {"compile_s": round(r.info["compile_s"], 1),
                       "run_wall_s": round(r.info["wall_s"] - r.info["compile_s"], 1), **est,
                       "drift_sigma": r.info.get("drift_sigma"), "acceptance": r.acceptance}
    a, b = out["lines"], out["retarded"]
    out["difference_in_sigma"] = {k: (a[k]["mean"] - b[k]["mean"]) / math.hypot(a[k]["err"], b[k]["err"])
                                  for k in ("energy", "mass", "n_phonons", "r2") if k in a}
    print(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()

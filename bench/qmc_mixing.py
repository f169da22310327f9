"""Statistical efficiency of QMC algorithmic settings (not a test).

Thermalises W chains once at a parameter point (cached under .cache/bench/), then, for each setting
given (a JSON list of dicts of algorithmic options such as ``eta`` and ``move_probs``; ``null`` means
the defaults), re-thermalises a copy of that state for ``--retherm`` sweeps and measures every sweep
for ``--sweeps`` sweeps. For the winding^2 (hence m*), the phonon number and the energy it prints the
estimate with its jackknife error over 16 groups of independent chains (the driver's honest error,
see ``Driver.chain_errors``), the fraction of sweeps that were physical (m = D_0 - D_1 = 0, measured),
the CPU time per chain and sweep, and the CPU time to 1 % relative error, CPU * (rel.err / 0.01)^2.
The group error of an error is itself uncertain by ~20 % (16 groups), so for each observable it also
prints a lower-noise estimate from the integrated autocorrelation time (``tau_<obs>``, in sweeps) of the
linearised ratio series x - mean * count, averaged over all chains (Sokal window, c = 6), and the cost
to 1 % that this error implies (``cpu_s_to_1pct_<obs>_tau``); ``tau_<obs>_c15`` is the same with a
window of 15 tau, which shows a slow tail that the default window cuts off.

All settings start from the same thermalised configurations, so their differences are not those of
the starting point. Those must be equilibrated (about 8000 sweeps at the reference point, see
``qmc_relaxation.py``): a study from chains thermalised for 4000 sweeps overstated the gain of the
cheap move mix on m* fivefold. The reference point of issue 3 is the default (tables in book/qmc_performance.md):

    python bench/qmc_mixing.py --walkers 256 --therm 10000 --sweeps 1500 \\
        --settings '[{"eta": 0.5, "move_probs": [0.3,0.25,0.2,0.1,0.15,0.15,0.05]}, null]'
"""
from __future__ import annotations

import argparse
import hashlib
import json
import resource
import time
from pathlib import Path

import numpy as np


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def chain_tau(y: np.ndarray, norm: float, windows=(6.0,)) -> tuple[list[float], float]:
    """Integrated autocorrelation time (sweeps) of the rows of ``y`` (chains x sweeps), from their
    autocovariance averaged over the chains, with Sokal's window at each c in ``windows``
    (``bpcore.stats.sokal_tau``), and the error of the ratio estimator that ``y`` linearises,
    sqrt(2 tau var / (W S)) / ``norm``, from the first window."""
    from bpcore.stats import sokal_tau

    W, S = y.shape
    y = y - y.mean()
    f = np.fft.rfft(y, n=2 * S, axis=1)
    acf = np.fft.irfft(f * np.conj(f), axis=1)[:, :S].real.sum(axis=0) / (W * np.arange(S, 0, -1))
    var = acf[0]
    if var <= 0:
        return [0.5] * len(windows), 0.0
    taus = [sokal_tau(acf / var, c) for c in windows]
    return taus, float(np.sqrt(2 * taus[0] * var / (W * S)) / norm)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="bond-peierls")
    ap.add_argument("--dim", type=int, default=2)
    ap.add_argument("--beta", type=float, default=20.0)
    ap.add_argument("--omega", type=float, default=1.0)
    ap.add_argument("--lam", type=float, default=1.0)
    ap.add_argument("--U", type=float, default=8.0)
    ap.add_argument("--walkers", type=int, default=256)
    ap.add_argument("--therm", type=int, default=10000, help="sweeps from empty worldlines (cached)")
    ap.add_argument("--retherm", type=int, default=200, help="sweeps with each setting before measuring")
    ap.add_argument("--sweeps", type=int, default=1500, help="measured sweeps per setting")
    ap.add_argument("--settings", default="[null]", help="JSON list of option dicts (null: defaults)")
    args = ap.parse_args()

    from bpcore import backend
    from bpcore.qmc import resolve_params
    from bpcore.qmc.driver import Driver

    backend.init()
    W, G = args.walkers, 16
    p = resolve_params(args.model, args.dim, 0, 2, args.beta, args.omega, args.lam, U=args.U, seed=1)
    p["capacity"] = 1024  # one engine shape for every setting (no recompilation)
    drv = Driver(p, W)
    tag = hashlib.sha1(json.dumps([sorted(p.items()), W, args.therm], default=str).encode()).hexdigest()[:12]
    cache = Path(".cache/bench") / f"mixing_{tag}.npz"
    if cache.is_file():
        z = np.load(cache)
        state = {k: z[k] for k in z.files}
    else:
        eng = drv._engine()
        eng.reset()
        t0 = time.perf_counter()
        for _ in range(args.therm // 50):
            drv._block(eng, 50, 0)
        print(f"# thermalised {args.therm} sweeps in {time.perf_counter() - t0:.0f} s", flush=True)
        state = eng.get_state()
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, **state)
    group = (np.arange(W) * G) // W
    for setting in json.loads(args.settings):
        q = resolve_params(args.model, args.dim, 0, 2, args.beta, args.omega, args.lam, U=args.U,
                           seed=int((setting or {}).get("seed", 1)),
                           **{k: v for k, v in (setting or {}).items() if k != "seed"})
        q["capacity"] = 1024
        d = Driver(q, W)
        eng = d._engine()
        eng.set_state(state)
        d._block(eng, args.retherm, 0)
        S = args.sweeps
        series = {k: np.zeros((W, S)) for k in ("count", "energy", "winding2", "nph")}
        cols = {"count": 0, "energy": 1, "winding2": 3, "nph": 4}
        c0 = cpu_seconds()
        for i in range(S):
            acc, _att, _ok = d._block(eng, 1, 1)
            for k, c in cols.items():
                series[k][:, i] = acc[:, c]
        cpu = cpu_seconds() - c0
        out = {"setting": setting, "eta": q["eta"], "move_probs": q["move_probs"],
               "physical_fraction": round(float(series["count"].mean()), 3),
               "cpu_ms_per_chain_sweep": round(cpu / (W * S) * 1e3, 3)}
        gc = np.array([series["count"][group == g].sum() for g in range(G)])
        for k in ("winding2", "nph", "energy"):
            gs = np.array([series[k][group == g].sum() for g in range(G)])
            jk = (gs.sum() - gs) / (gc.sum() - gc)
            mean = gs.sum() / gc.sum()
            err = float(np.sqrt((G - 1) / G * np.sum((jk - jk.mean()) ** 2)))
            out[k] = [round(float(mean), 4), round(err, 4)]
            out[f"cpu_s_to_1pct_{k}"] = round(cpu * (err / abs(mean) / 0.01) ** 2, 1)
            # window 6 tau, and 15 tau to show a slow tail the default window cuts off
            (tau, tau15), err_tau = chain_tau(series[k] - mean * series["count"], series["count"].mean(),
                                              windows=(6.0, 15.0))
            out[f"tau_{k}"] = round(tau, 1)
            out[f"cpu_s_to_1pct_{k}_tau"] = round(cpu * (err_tau / abs(mean) / 0.01) ** 2, 1)
            out[f"tau_{k}_c15"] = round(tau15, 1)
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()

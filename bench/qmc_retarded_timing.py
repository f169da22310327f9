"""Benchmark (not a test): wall time of the retarded-action Holstein engine at four points.

Prints one JSON line per point (compile time, run wall time without compile, the energy): the rows of
the retarded-engine table in book/qmc_performance.md.

    BPCORE_ARCH=cpu python bench/qmc_retarded_timing.py
"""
import time, json
from bpcore import backend, qmc
backend.init()
rows = [("1D polaron l=0.5", dict(model="holstein", dim=1, L=0, electrons=1, beta=16.0, omega=1.0, lam=0.5, n_walkers=256, therm=200, sweeps=600)),
        ("1D polaron l=1.5", dict(model="holstein", dim=1, L=0, electrons=1, beta=20.0, omega=1.0, lam=1.5, n_walkers=128, therm=500, sweeps=1000)),
        ("2D pair l=1.25", dict(model="holstein", dim=2, L=0, electrons=2, beta=32.0, omega=0.5, lam=1.25, U=8.0, n_walkers=32, therm=200, sweeps=200)),
        ("2D pair l=1.0", dict(model="holstein", dim=2, L=0, electrons=2, beta=32.0, omega=0.5, lam=1.0, U=8.0, n_walkers=32, therm=200, sweeps=200))]


for name, kw in rows:
    t0 = time.perf_counter()
    r = qmc.run(**kw, seed=1, progress=False, action="retarded")
    w = time.perf_counter() - t0
    print(json.dumps(dict(row=name, compile=round(r.info["compile_s"],1), run=round(w - r.info["compile_s"],1), E=str(r.energy)[:40])), flush=True)

"""The QMC points of Figs. 6-8 at the notebooks' `quick` profile, cheapest first, with a timing line per point.

The stored runs under data/fig06_tc_2d/, data/fig07_tc_vs_U/ and data/fig08_tc_3d_coulomb/ were computed
with this script (2026-12-04, with ``--store`` from a clean worktree of commit 0e816a7; 99 minutes on
2 cores), except the Holstein jobs at lambda >= 1.1, which were computed with the phonons integrated out
(``action="retarded"``) from a clean worktree of commit f85a55f (30 minutes; lambda = 1.1 added later,
``--first 42 --last 42``, and lambda = 1.05 later still, ``--first 47``, from a clean worktree of the
commit that added it, after the local action updates had made the retarded engine about twice as fast). It passes the same arguments as the notebooks, so the notebooks find the runs by their
parameter hash; `make figure FIG=fig06_tc_2d ARGS="-p run_qmc True"` computes the same runs in notebook
order. With ``--store DIR`` every run is computed afresh into DIR (no lookup in data/); run from a clean
git worktree, the provenance of every run records a clean commit. Copy the topic folders into data/
afterwards (book/reproducibility.md).

    .venv/bin/python scripts/qmc_campaign_quick.py [--first N] [--last N] [--store DIR]
"""
import argparse
import json
import time

from bpcore import tc
from bpcore.store import Store

ap = argparse.ArgumentParser()
ap.add_argument("--first", type=int, default=0, help="index of the first job to run")
ap.add_argument("--last", type=int, default=None, help="index of the last job to run (default: all)")
ap.add_argument("--store", default=None, help="compute every run afresh into this folder")
args = ap.parse_args()
store = Store(args.store, fallbacks=[]) if args.store else None

# radius: printed T_c only, not in the runs
Q = dict(run={"sweeps": 4000}, n_walkers=32, therm=8000, radius="centre", store=store)
bo = 16.0
jobs = []
# fig06: t/Omega = 0.5, 1 first, then fig07 t/Omega=1, fig06 t/Omega=2, fig08 t/Omega=1, Holstein last
lam_bp6 = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5]
for r in (0.5, 1.0):
    jobs += [("fig06_tc_2d", dict(model="bond-peierls", omega=1 / r, lam=l, beta=bo * r), dict(dim=2, U=8.0)) for l in lam_bp6]
jobs += [("fig06_tc_2d", dict(model="bond-peierls", omega=1.0, lam=1.0, beta=1.5 * bo), dict(dim=2, U=8.0))]
for u in [0.0, 2.0, 4.0, 8.0, 12.0, 16.0]:
    jobs += [("fig07_tc_vs_U", dict(model="bond-peierls", omega=1.0, lam=0.6, U=u, beta=bo), dict(dim=2))]
jobs += [("fig06_tc_2d", dict(model="bond-peierls", omega=0.5, lam=l, beta=bo * 2), dict(dim=2, U=8.0)) for l in lam_bp6]
for l in [0.5, 0.75, 1.0, 1.25, 1.5]:
    jobs += [("fig08_tc_3d_coulomb", dict(model="bond-peierls", omega=1.0, lam=l, beta=bo), dict(dim=3, U=8.0, V=0.8))]
for u in [0.0, 2.0, 4.0, 8.0, 12.0, 16.0]:
    jobs += [("fig07_tc_vs_U", dict(model="bond-peierls", omega=0.5, lam=0.6, U=u, beta=2 * bo), dict(dim=2))]
for l in [0.5, 0.75, 1.0, 1.25, 1.5]:
    jobs += [("fig08_tc_3d_coulomb", dict(model="bond-peierls", omega=0.5, lam=l, beta=2 * bo), dict(dim=3, U=8.0, V=0.8))]
H = dict(model="holstein", omega=0.5, beta=2 * bo)
jobs += [("fig06_tc_2d", dict(**H, lam=1.0), dict(dim=2, U=8.0))]
# lambda >= 1.05: phonons integrated out exactly, shorter thermalisation (the notebooks' holstein_retarded_from, therm_h)
R = dict(**H, action="retarded", therm=2000)
jobs += [("fig06_tc_2d", dict(**R, lam=l), dict(dim=2, U=8.0)) for l in [1.1, 1.25, 1.5]]
jobs += [("fig08_tc_3d_coulomb", dict(**R, lam=l), dict(dim=3, U=8.0, V=0.8)) for l in [1.25, 1.5]]
# added later, at the end so that the indices above stay those of the book: the 2D Holstein lambda = 1.05
jobs += [("fig06_tc_2d", dict(**R, lam=1.05), dict(dim=2, U=8.0))]
for i, (topic, p, c) in enumerate(jobs):
    if i < args.first or (args.last is not None and i > args.last):
        continue
    t0 = time.time()
    row = tc.qmc_tc_point(topic, **c, **{**Q, **p})
    keep = {k: row.get(k) for k in ("mass", "mass_err", "r2", "r2_err", "binding", "binding_err", "tc_over_omega",
                                   "tc_over_omega_err", "max_drift_sigma", "bound")}
    print(f"[{i}/{len(jobs)}] {topic} {p} {c} {time.time() - t0:.0f}s", json.dumps(keep, default=float), flush=True)

"""``python -m bpcore qmc ...``: run the path-integral QMC and print one JSON object."""
from __future__ import annotations

import json
import sys


def register_cli(subparsers) -> None:
    s = subparsers.add_parser("qmc", help="two-electron path-integral QMC (prints JSON)",
                              description="Sign-free continuous-time path-integral QMC for one electron or a "
                                          "singlet pair coupled to bond-Peierls or Holstein phonons.")
    s.add_argument("--model", required=True, help="bond-peierls | holstein")
    s.add_argument("--dim", type=int, default=2, help="lattice dimension 1, 2 or 3")
    s.add_argument("--L", type=int, default=0, help="linear size of the periodic lattice; 0 = unbounded")
    s.add_argument("--t", type=float, default=1.0, help="hopping t (energy unit)")
    s.add_argument("--omega", type=float, required=True, help="phonon frequency Omega")
    s.add_argument("--lam", type=float, required=True, help="dimensionless coupling lambda")
    s.add_argument("--U", type=float, default=0.0, help="on-site repulsion")
    s.add_argument("--V", type=float, default=0.0, help="long-range Coulomb V/|r|")
    s.add_argument("--electrons", type=int, default=2, help="1 (polaron) or 2 (singlet bipolaron)")
    s.add_argument("--beta", type=float, required=True, help="inverse temperature")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--time", type=float, default=None, help="sampling time limit in seconds")
    s.add_argument("--sweeps", type=int, default=None, help="measured sweeps per chain")
    s.add_argument("--walkers", type=int, default=None, help="number of independent chains")
    s.add_argument("--checkpoint", default=None, help="checkpoint .npz (resumed if it exists)")
    s.add_argument("--action", default="lines", choices=("lines", "retarded"),
                   help="phonons as sampled lines (default) or, Holstein only, integrated out exactly")
    s.add_argument("--json", action="store_true", help="print JSON (the default and only format)")
    s.set_defaults(func=cmd_qmc)


def cmd_qmc(args) -> int:
    from bpcore import qmc

    if args.time is None and args.sweeps is None:
        args.time = 60.0
    res = qmc.run(args.model, args.dim, args.L, args.electrons, args.beta, args.omega, args.lam, t=args.t,
                  U=args.U, V=args.V, seed=args.seed, sweeps=args.sweeps, time_limit=args.time,
                  n_walkers=args.walkers, checkpoint=args.checkpoint, progress=False, action=args.action)
    sys.stdout.write(json.dumps(res.to_dict(), default=_default) + "\n")
    return 0


def _default(o):
    try:
        return o.item()
    except AttributeError:
        return str(o)

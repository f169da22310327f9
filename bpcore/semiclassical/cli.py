"""``python -m bpcore instanton ...``: one classical bipolaron + instanton, printed as JSON.

(Plugs into :mod:`bpcore.cli` through ``register_cli`` once ``"bpcore.semiclassical.cli"`` is listed
in ``bpcore.cli.PLUGINS``.)
"""
from __future__ import annotations

import json


def cmd_instanton(args) -> int:
    from bpcore.semiclassical.figures import instanton_point

    df, _ = instanton_point(args.model, args.lam, U=args.U, dim=args.dim, L=args.L, n_images=args.n_images,
                            n_random=args.n_random, seed=args.seed)
    row = {k: (v.item() if hasattr(v, "item") else v) for k, v in df.iloc[0].to_dict().items()}
    print(json.dumps(row, indent=1, default=str))
    return 0 if row.get("converged") else 3


def register_cli(subparsers) -> None:
    s = subparsers.add_parser("instanton", help="classical (Omega->0) bipolaron and its instanton action S*Omega/t")
    s.add_argument("--model", choices=("bond", "holstein"), default="bond")
    s.add_argument("--lam", type=float, required=True, help="coupling lambda (> 0)")
    s.add_argument("--U", type=float, default=0.0, help="Hubbard U/t (>= 0)")
    s.add_argument("--dim", type=int, default=2, choices=(1, 2))
    s.add_argument("--L", type=int, default=8, help="linear lattice size")
    s.add_argument("--n-images", type=int, default=16)
    s.add_argument("--n-random", type=int, default=8, help="random starts of the minimisation")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=cmd_instanton)

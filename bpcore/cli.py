"""Command line: ``python -m bpcore {info,results,notebook,notebooks,qmc,ved,...}``.

Solver modules plug their own sub-commands in by defining
``register_cli(subparsers)``; they are listed in ``PLUGINS``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys

PLUGINS = ("bpcore.qmc.cli", "bpcore.ved", "bpcore.semiclassical.cli")


def _parse_value(text: str):
    import yaml

    try:
        return yaml.safe_load(text)
    except Exception:
        return text


def cmd_info(args) -> int:
    from bpcore import backend
    from bpcore.store import git_state, package_versions

    if args.init:
        backend.init(args.arch)
    out = {"backend": backend.info(), "versions": package_versions(), "git": git_state()}
    try:
        from bpcore.backend import _cuda_available

        out["cuda_available"] = _cuda_available()
    except Exception as exc:  # pragma: no cover
        out["cuda_available"] = f"unknown: {exc}"
    out["fp64_supported"] = {"cpu": True, "cuda": True}
    print(json.dumps(out, indent=1))
    return 0


def cmd_results(args) -> int:
    from bpcore.store import Store

    df = Store(args.root).results(args.figure)
    if args.format == "csv":
        sys.stdout.write(df.to_csv(index=False))
    else:
        sys.stdout.write(df.to_json(orient="records", indent=1) + "\n")
    return 0


def cmd_notebook(args) -> int:
    from bpcore import notebooks

    params = {k: _parse_value(v) for k, v in (args.param or [])}
    path = notebooks.execute(args.name, profile=args.profile, params=params, out_dir=args.out)
    print(path)
    return 0


def cmd_notebooks(args) -> int:
    from bpcore import notebooks

    failed = []
    todo = args.names or notebooks.names()
    for name in todo:
        print(f"[bpcore] executing {name} (profile {args.profile})", file=sys.stderr, flush=True)
        try:
            notebooks.execute(name, profile=args.profile, out_dir=args.out)
        except Exception as exc:
            failed.append(name)
            print(f"[bpcore] FAILED {name}:\n{exc}", file=sys.stderr, flush=True)
    if failed:
        print(f"[bpcore] {len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bpcore", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("info", help="backend, versions, git state")
    s.add_argument("--init", action="store_true", help="initialise Taichi to report the arch actually obtained")
    s.add_argument("--arch", default=None, help="cpu|cuda|auto (with --init)")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("results", help="print every stored number behind a figure")
    s.add_argument("figure", help="figure id, e.g. fig01_me_ceiling")
    s.add_argument("--format", choices=("csv", "json"), default="csv")
    s.add_argument("--root", default=None, help="data folder (default: the repository's data/)")
    s.set_defaults(func=cmd_results)

    s = sub.add_parser("notebook", help="execute one figure notebook with papermill")
    s.add_argument("name")
    s.add_argument("--profile", default="quick")
    s.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"))
    s.add_argument("--out", default=None)
    s.set_defaults(func=cmd_notebook)

    s = sub.add_parser("notebooks", help="execute all (or the named) notebooks")
    s.add_argument("names", nargs="*")
    s.add_argument("--profile", default="quick")
    s.add_argument("--out", default=None)
    s.set_defaults(func=cmd_notebooks)

    for modname in PLUGINS:
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name and modname.startswith(exc.name):
                continue  # plugin not built yet
            raise
        if hasattr(mod, "register_cli"):
            mod.register_cli(sub)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except (ValueError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

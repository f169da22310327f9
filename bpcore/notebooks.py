"""Execute the MyST-markdown figure notebooks with papermill.

``notebooks/<name>.md`` (jupytext MyST) is converted in memory, its declared
parameters are checked (an unknown name is a ``ValueError`` naming it), and it
is executed by papermill into ``book/figures/<name>.ipynb``, which the book
renders. An executed notebook holding an error output raises
:class:`NotebookError` with the notebook's name and the traceback, even where
papermill itself did not complain.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

from bpcore.profiles import check_profile
from bpcore.store import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
OUTPUT_DIR = REPO_ROOT / "book" / "figures"


class NotebookError(RuntimeError):
    pass


def names() -> list[str]:
    return sorted(p.stem for p in NOTEBOOK_DIR.glob("*.md"))


def _source(name: str) -> Path:
    src = NOTEBOOK_DIR / f"{name}.md"
    if not src.is_file():
        raise ValueError(f"unknown notebook {name!r}; available: {', '.join(names())}")
    return src


def to_ipynb(name: str, dest: Path) -> Path:
    import jupytext

    nb = jupytext.read(_source(name))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    jupytext.write(nb, dest, fmt="ipynb")
    return dest


def declared_parameters(name: str) -> dict[str, dict]:
    """Parameters of a notebook's ``parameters`` cell, as papermill sees them."""
    import papermill as pm

    with tempfile.TemporaryDirectory() as tmp:
        path = to_ipynb(name, Path(tmp) / f"{name}.ipynb")
        return dict(pm.inspect_notebook(str(path)))


def check_parameters(name: str, params: Mapping[str, Any]) -> None:
    declared = declared_parameters(name)
    if "profile" not in declared:
        raise NotebookError(f"notebook {name!r} has no 'profile' in its parameters cell")
    for key in params:
        if key not in declared:
            raise ValueError(f"unknown parameter {key!r} for notebook {name!r}; declared: {', '.join(declared)}")
    if "profile" in params:
        check_profile(params["profile"])


def errors_in(nb_path: Path) -> list[str]:
    nb = json.loads(Path(nb_path).read_text())
    errs = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                errs.append(f"{out.get('ename')}: {out.get('evalue')}\n" + "\n".join(out.get("traceback", [])))
    if not any(c.get("cell_type") == "code" and c.get("outputs") for c in nb.get("cells", [])):
        errs.append("no code cell produced any output (lost output?)")
    return errs


def execute(name: str, profile: str = "quick", params: Mapping[str, Any] | None = None,
            out_dir: str | os.PathLike | None = None, timeout: int | None = None) -> Path:
    """Run one notebook; return the executed ``.ipynb`` path."""
    import papermill as pm

    params = dict(params or {})
    params["profile"] = check_profile(params.get("profile", profile))
    check_parameters(name, params)
    out_dir = Path(out_dir) if out_dir is not None else OUTPUT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{name}.ipynb"
    env_before = {k: os.environ.get(k) for k in ("BPCORE_NB_PARAMS", "BPCORE_COMMAND")}
    os.environ["BPCORE_NB_PARAMS"] = json.dumps({"notebook": name, **params}, default=str)
    os.environ["BPCORE_COMMAND"] = f"python -m bpcore notebook {name} " + " ".join(
        f"-p {k} {json.dumps(v, default=str)!s}" for k, v in params.items())
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            src = to_ipynb(name, Path(tmp) / f"{name}.ipynb")
            try:
                pm.execute_notebook(str(src), str(out), parameters=params, cwd=str(REPO_ROOT),
                                    kernel_name="python3", progress_bar=False, log_output=False,
                                    execution_timeout=timeout)
            except pm.PapermillExecutionError as exc:
                raise NotebookError(f"notebook {name!r} failed in cell {exc.exec_count}:\n"
                                    f"{exc.ename}: {exc.evalue}\n" + "\n".join(exc.traceback)) from None
    finally:
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    errs = errors_in(out)
    if errs:
        raise NotebookError(f"notebook {name!r} finished with errors:\n" + "\n".join(errs))
    return out

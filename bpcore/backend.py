"""The one place that initialises Taichi.

Usage::

    from bpcore import backend
    backend.init()            # arch from $BPCORE_ARCH, default "cpu"
    backend.arch()            # "cpu" or "cuda": what we actually got

Rules (see shared GUIDE):
* ``ti.init`` is called at most once per process (a second call invalidates
  every field); :func:`init` is idempotent and refuses a conflicting request.
* ``ti.gpu``/``ti.opengl`` are never requested: on a machine without a GPU the
  OpenGL probe segfaults. ``"auto"`` tries CUDA only and falls back to CPU with
  a logged warning; an explicit ``"cuda"`` that is unavailable is an error.
* Nothing here runs at import time.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys

log = logging.getLogger(__name__)

ARCHS = ("cpu", "cuda", "auto")
_state: dict = {}


def _ti():
    os.environ.setdefault("TI_SKIP_VERSION_CHECK", "ON")
    os.environ.setdefault("TI_LOG_LEVEL", "warn")
    import taichi as ti

    return ti


def _cuda_available() -> bool:
    ti = _ti()
    try:
        return bool(ti.lang.impl.is_arch_supported(ti.cuda))
    except Exception:  # pragma: no cover - depends on the wheel
        return False


def init(arch: str | None = None, fp64: bool = True, threads: int | None = None) -> str:
    """Initialise Taichi once; return the arch actually in use ("cpu"/"cuda").

    ``arch`` defaults to ``$BPCORE_ARCH`` or ``"cpu"``. ``threads`` caps the CPU
    thread pool (default: all cores). Calling again with compatible arguments is
    a no-op; asking for a different arch/precision after initialisation raises.
    """
    requested = (arch or os.environ.get("BPCORE_ARCH") or "cpu").lower()
    if requested not in ARCHS:
        raise ValueError(f"arch must be one of {ARCHS}, got {requested!r}")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    if _state:
        if requested != "auto" and requested != _state["arch"] and requested != _state["requested"]:
            raise RuntimeError(
                f"Taichi already initialised on {_state['arch']!r}; cannot switch to {requested!r} "
                "in the same process (ti.init would invalidate every field)"
            )
        if fp64 != _state["fp64"]:
            raise RuntimeError("Taichi already initialised with fp64=%s" % _state["fp64"])
        return _state["arch"]

    ti = _ti()
    kwargs = dict(default_fp=ti.f64 if fp64 else ti.f32, default_ip=ti.i32,
                  offline_cache=True, random_seed=0)
    if threads is not None:
        kwargs["cpu_max_num_threads"] = threads
    got = "cpu"
    if requested in ("cuda", "auto"):
        if _cuda_available():
            with contextlib.redirect_stdout(sys.stderr):
                ti.init(arch=ti.cuda, **kwargs)
            got = "cuda" if ti.lang.impl.current_cfg().arch == ti.cuda else "cpu"
        else:
            got = None
        if got != "cuda":
            if requested == "cuda":
                raise RuntimeError("BPCORE_ARCH/arch='cuda' requested but CUDA is not available here")
            log.warning("CUDA not available; falling back to the CPU backend")
            if got is None:
                with contextlib.redirect_stdout(sys.stderr):
                    ti.init(arch=ti.cpu, **kwargs)
            got = "cpu"
    else:
        with contextlib.redirect_stdout(sys.stderr):
            ti.init(arch=ti.cpu, **kwargs)
    _state.update(arch=got, requested=requested, fp64=fp64, threads=threads)
    return got


def initialised() -> bool:
    return bool(_state)


def arch() -> str | None:
    """The arch actually in use, or None before :func:`init`."""
    return _state.get("arch")


def cpu_threads() -> int | None:
    """Worker threads of the CPU backend (the ``threads`` cap, else all cores); None on a GPU or
    before :func:`init`."""
    if _state.get("arch") != "cpu":
        return None
    return _state.get("threads") or os.cpu_count() or 1


def info() -> dict:
    """Provenance record of the backend (safe to call before init)."""
    import platform

    d = {"initialised": bool(_state), "arch": _state.get("arch"), "requested": _state.get("requested"),
         "fp64": _state.get("fp64"), "threads": _state.get("threads"),
         "cpu_count": os.cpu_count(), "machine": platform.machine()}
    try:
        import taichi as ti  # noqa: F401  (import does not init)

        d["taichi"] = ".".join(map(str, ti.__version__))
    except Exception as exc:  # pragma: no cover
        d["taichi"] = f"unavailable: {exc}"
    return d

"""bpcore.backend: one idempotent Taichi init, never at import, honest about the arch obtained.

Each case runs in a fresh interpreter: ti.init can happen only once per process.
"""
import subprocess
import sys
import textwrap

import pytest


def run(code: str, env_arch: str | None = None):
    import os

    env = dict(os.environ)
    env.pop("BPCORE_ARCH", None)
    if env_arch is not None:
        env["BPCORE_ARCH"] = env_arch
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, timeout=120)


def test_import_does_not_initialise_taichi():
    r = run("""
        import sys, bpcore, bpcore.backend, bpcore.store, bpcore.eliashberg, bpcore.cli
        assert "taichi" not in sys.modules, "importing bpcore must not import taichi"
        assert not bpcore.backend.initialised() and bpcore.backend.arch() is None
        print("ok")
    """)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr


def test_cpu_init_is_idempotent_and_recorded():
    r = run("""
        from bpcore import backend
        assert backend.init("cpu") == "cpu"
        assert backend.init() == "cpu"          # second call: no re-init
        assert backend.arch() == "cpu" and backend.info()["initialised"]
        try:
            backend.init("cpu", fp64=False)
        except RuntimeError as e:
            print("refused:", e)
        print("ok")
    """)
    assert r.returncode == 0 and "ok" in r.stdout and "refused" in r.stdout, r.stderr
    assert "[Taichi]" not in r.stdout  # banners go to stderr, stdout stays clean for JSON


def test_env_variable_and_auto_fallback():
    r = run("""
        from bpcore import backend, backend as b
        got = backend.init()
        print("got", got, backend.info()["requested"])
    """, env_arch="auto")
    assert r.returncode == 0, r.stderr
    assert " auto" in r.stdout
    if "got cpu" in r.stdout:
        assert "falling back" in r.stderr


def test_explicit_cuda_without_gpu_is_an_error():
    probe = run("from bpcore.backend import _cuda_available; print(_cuda_available())")
    if "True" in probe.stdout:
        pytest.skip("a CUDA device is present")
    r = run("""
        from bpcore import backend
        try:
            backend.init("cuda")
        except RuntimeError as e:
            print("error:", e)
    """)
    assert r.returncode == 0 and "error:" in r.stdout and "cuda" in r.stdout.lower(), r.stderr


@pytest.mark.parametrize("arch", ["gpu", "opengl", "metal"])
def test_unknown_arch_is_rejected_without_touching_taichi(arch):
    from bpcore import backend

    with pytest.raises(ValueError, match="arch"):
        backend.init(arch)

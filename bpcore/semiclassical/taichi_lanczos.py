"""Batched two-electron singlet ground states with a Taichi matrix-vector product (U > 0).

For U > 0 the Born-Oppenheimer energy needs the two-electron ground state of
``H2 Psi = h Psi + Psi h + U diag(Psi)`` in the symmetric (singlet) sector, for every image of an
instanton path. Here the amplitude ``Psi`` of all ``B`` configurations is one Taichi field of shape
(B, N, N) and one kernel applies ``H2`` to all of them, using the lattice's neighbour lists (cost
O(B N^2 z) instead of a dense O(B N^3) product); the Lanczos recursion itself (a few scalar products
per step) runs in NumPy in lock-step for the whole batch, with full re-orthogonalisation and
restarts from the current Ritz vector (warm-started from the previous call's ground states, which
is what makes successive optimiser steps cheap).

Why Taichi here: the batch x N^2 stencil is the only O(big) part and parallelises trivially over
``B N^2`` (>= 1024 iterations, so both CPU cores are used; the same code runs on CUDA). A SciPy
sparse matrix per image (the reference, :meth:`ClassicalModel._two_electron`) must rebuild the matrix
and call ARPACK image by image.

Checked against the SciPy reference in ``tests/test_semiclassical.py``.
"""


import numpy as np

from bpcore import backend

_kernels = {}


def _get_kernels():
    if _kernels:
        return _kernels
    import taichi as ti

    @ti.kernel
    def matvec(psi: ti.types.ndarray(), out: ti.types.ndarray(), onsite: ti.types.ndarray(),
               amp: ti.types.ndarray(), nbr_site: ti.types.ndarray(), nbr_bond: ti.types.ndarray(),
               deg: ti.types.ndarray(), U: ti.f64, B: ti.i32, N: ti.i32):
        for b, i, j in ti.ndrange(B, N, N):
            acc = (onsite[b, i] + onsite[b, j]) * psi[b, i, j]
            if i == j:
                acc += U * psi[b, i, j]
            for m in range(deg[i]):
                acc += amp[b, nbr_bond[i, m]] * psi[b, nbr_site[i, m], j]
            for m in range(deg[j]):
                acc += amp[b, nbr_bond[j, m]] * psi[b, i, nbr_site[j, m]]
            out[b, i, j] = acc

    _kernels["matvec"] = matvec
    return _kernels


class BatchedSinglet:
    """Lowest singlet state of two electrons for a batch of one-electron matrices.

    Parameters
    ----------
    bonds : (n_bonds, 2) site pairs; ``n_sites``; ``U`` (>= 0).
    The one-electron matrix of configuration ``b`` is given by bond amplitudes ``amp[b, k]``
    (h_ij = h_ji = amp on bond k = (i, j)) and site energies ``onsite[b, i]``.
    """

    def __init__(self, bonds, n_sites: int, U: float, tol: float = 1e-11, krylov: int = 40, max_restarts: int = 60):
        backend.init()
        self.N = int(n_sites)
        self.U = float(U)
        self.tol, self.krylov, self.max_restarts = float(tol), int(krylov), int(max_restarts)
        bonds = np.asarray(bonds, dtype=np.int32)
        adj = [[] for _ in range(self.N)]
        for k, (i, j) in enumerate(bonds):
            adj[i].append((j, k))
            adj[j].append((i, k))
        zmax = max(1, max(len(a) for a in adj))
        self.nbr_site = np.zeros((self.N, zmax), np.int32)
        self.nbr_bond = np.zeros((self.N, zmax), np.int32)
        self.deg = np.array([len(a) for a in adj], np.int32)
        for i, a in enumerate(adj):
            for m, (j, k) in enumerate(a):
                self.nbr_site[i, m], self.nbr_bond[i, m] = j, k
        self._warm = None
        self.n_matvec = 0

    def apply(self, Psi, amp, onsite):
        out = np.empty_like(Psi)
        _get_kernels()["matvec"](Psi, out, onsite, amp, self.nbr_site, self.nbr_bond, self.deg, self.U,
                                 Psi.shape[0], self.N)
        self.n_matvec += 1
        return out

    def ground_states(self, amp: np.ndarray, onsite: np.ndarray):
        """Energies (B,) and normalised symmetric amplitudes Psi (B, N, N)."""
        amp = np.ascontiguousarray(amp, dtype=np.float64)
        onsite = np.ascontiguousarray(onsite, dtype=np.float64)
        B, N = onsite.shape[0], self.N
        if self._warm is not None and self._warm.shape[0] == B:
            x = self._warm.copy()
        else:
            x = np.ones((B, N, N)) + 1e-3 * np.random.default_rng(0).standard_normal((B, N, N))
        x = 0.5 * (x + x.transpose(0, 2, 1))
        x /= np.linalg.norm(x.reshape(B, -1), axis=1)[:, None, None]
        E = np.full(B, np.nan)
        for _ in range(self.max_restarts):
            E, x, res = self._lanczos(x, amp, onsite)
            if np.all(res < self.tol * np.maximum(1.0, np.abs(E))):
                break
        else:
            raise RuntimeError(f"batched Lanczos did not converge: largest residual {res.max():.2e}")
        self._warm = x.copy()
        return E, x

    def _lanczos(self, x, amp, onsite):
        B, N = x.shape[0], self.N
        m = self.krylov
        Q = np.zeros((m + 1, B, N, N))
        Q[0] = x
        alpha = np.zeros((B, m))
        beta = np.zeros((B, m))
        k_used = m
        for k in range(m):
            w = self.apply(Q[k], amp, onsite)
            w = 0.5 * (w + w.transpose(0, 2, 1))
            alpha[:, k] = np.einsum("bij,bij->b", w, Q[k])
            # full re-orthogonalisation (twice is enough)
            Qk = Q[:k + 1].reshape(k + 1, B, N * N)
            wf = w.reshape(B, N * N)
            for _ in range(2):
                c = np.einsum("kbm,bm->kb", Qk, wf, optimize=True)
                wf -= np.einsum("kb,kbm->bm", c, Qk, optimize=True)
            nb = np.linalg.norm(w.reshape(B, -1), axis=1)
            beta[:, k] = nb
            if np.all(nb < 1e-13):
                k_used = k + 1
                break
            Q[k + 1] = w / np.maximum(nb, 1e-300)[:, None, None]
        E = np.empty(B)
        xs = np.empty((B, N, N))
        res = np.empty(B)
        for b in range(B):
            T = np.diag(alpha[b, :k_used]) + np.diag(beta[b, :k_used - 1], 1) + np.diag(beta[b, :k_used - 1], -1)
            w_, v_ = np.linalg.eigh(T)
            E[b] = w_[0]
            xs[b] = np.einsum("k,kij->ij", v_[:, 0], Q[:k_used, b])
            res[b] = abs(beta[b, k_used - 1] * v_[-1, 0])
        xs = 0.5 * (xs + xs.transpose(0, 2, 1))
        xs /= np.linalg.norm(xs.reshape(B, -1), axis=1)[:, None, None]
        return E, xs, res

"""Classical (adiabatic, Omega -> 0) polarons and bipolarons: Born-Oppenheimer energy surfaces.

Model (units t = 1, hbar = k_B = 1, lattice constant 1)
--------------------------------------------------------
Static classical displacements couple to one or two electrons on a :class:`~.lattice.Lattice`.
Displacements are measured in the dimensionless variables in which the energy depends on the
coupling lambda (and U/t) only:

* ``coupling="bond"`` (bond-Peierls): one coordinate ``u_b = alpha' X_b / t`` per bond; the hopping
  on bond b is ``t_b = t (1 + u_b)`` (the sign of alpha' is a gauge choice on a bipartite lattice:
  u > 0 strengthens the bond). With ``alpha = alpha'/sqrt(2 M Omega)``, ``K = M Omega^2`` and
  ``lambda = alpha^2/(d t Omega)`` the elastic energy ``(K/2) sum X_b^2`` is ``t sum u_b^2 / (4 d lambda)``.
* ``coupling="holstein"``: one coordinate ``v_i = g' X_i / t`` per site; the site energy is
  ``-t v_i n_i``; with ``g = g'/sqrt(2 M Omega)``, ``lambda = g^2/(2 d t Omega)`` the elastic energy is
  ``t sum v_i^2 / (8 d lambda)`` (a single site then gives the polaron shift -g^2/Omega = -2 d lambda t).

The adiabatic energy is ``V(x) = E_el(x) + e_el * |x|^2`` where ``E_el`` is the ground energy of
``n_el`` = 1 electron (polaron) or 2 electrons in their singlet state (bipolaron) with Hubbard ``U``
in the frozen lattice. For U = 0 the singlet is both electrons in the lowest orbital
(``E_el = 2 eps_0``). For U > 0 we diagonalise the two-electron problem in the space of symmetric
(singlet) spatial wave functions ``Psi(i, j) = Psi(j, i)`` (dimension N(N+1)/2).

Forces are Hellmann-Feynman: ``dE_el/du_b = -4 (Psi Psi)_{ij}`` for bond b = (i, j) and
``dE_el/dv_i = -2 (Psi Psi)_{ii}``, with ``Psi`` the normalised symmetric two-electron amplitude
(``Psi = psi psi^T`` for U = 0; for one electron replace by ``psi_i psi_j``, i.e. half of it).

The quantum phonon kinetic energy enters only through the instanton (see :mod:`.instanton`): in these
coordinates ``S Omega = int sqrt(2 k (V - V*)) |dx|`` with ``k = 2 e_el`` the scaled stiffness, so
``S Omega / t`` is a function of lambda and U/t only; see :attr:`ClassicalModel.stiffness`.

Implementation choice (why NumPy/SciPy, not Taichi, here): the work is the ground state of a dense
real-symmetric N x N matrix (N <= ~150 sites) for a batch of configurations (path images, random
starts). ``numpy.linalg.eigh`` on a stacked ``(B, N, N)`` array runs LAPACK for the whole batch in
compiled code; Taichi has no dense eigensolver and a hand-written one (Jacobi / power iteration
with the small adiabatic gaps met near self-trapping) was slower in every variant we considered.
The two-electron problem (U > 0) uses by default a sparse SciPy matrix in the symmetric basis and
ARPACK (dense LAPACK below 600 states); ``solver="taichi"`` instead applies the two-electron
Hamiltonian to the whole batch of configurations with one Taichi kernel and runs a lock-step Lanczos
(:mod:`.taichi_lanczos`, checked against SciPy to 1e-9). Measured on the 2-core CPU (L = 8 square
lattice, 15 configurations, U = 3): SciPy ~1.2 s, Taichi ~1.4 s when warm-started from the same
configurations and several seconds from perturbed ones -- so SciPy stays the default on CPU; the Taichi
path is for large batches / CUDA.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.sparse as sp
import scipy.sparse.linalg as spla

try:  # optional: keeps OpenBLAS from oversubscribing the cores on small matrices
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

from bpcore.profiles import check_number
from bpcore.semiclassical.lattice import Lattice

COUPLINGS = ("bond", "holstein")

_blas_depth = [0]


@contextlib.contextmanager
def blas_single_thread():
    """Run the enclosed small dense linear algebra on one BLAS thread (re-entrant).

    For N <= ~150 matrices a multi-threaded OpenBLAS is 5-20x *slower* than one thread (measured
    on the 2-core project machine under load); ``threadpoolctl`` is used when installed."""
    if _blas_depth[0] > 0 or threadpool_limits is None:
        _blas_depth[0] += 1
        try:
            yield
        finally:
            _blas_depth[0] -= 1
        return
    _blas_depth[0] += 1
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        _blas_depth[0] -= 1


@dataclass
class Minimum:
    """A local minimum of the adiabatic surface."""

    x: np.ndarray
    energy: float
    grad_norm: float
    n_iter: int
    success: bool


class ClassicalModel:
    """Adiabatic (classical-phonon) energy surface of one or two electrons.

    Parameters
    ----------
    lattice : :class:`~.lattice.Lattice`
    coupling : "bond" (bond-Peierls, displacement per bond) or "holstein" (per site).
    lam : dimensionless coupling lambda > 0 (same convention as the quantum models).
    U : Hubbard repulsion in units of t (>= 0; only with ``n_el = 2``).
    n_el : 1 (polaron) or 2 (singlet bipolaron).
    solver : two-electron solver for U > 0: "scipy" (sparse matrix + ARPACK per configuration, the
        default: faster on a 2-core CPU for N <= ~100 sites) or "taichi" (one Taichi kernel applies the
        Hamiltonian to the whole batch, lock-step Lanczos; :mod:`.taichi_lanczos`; for large batches or CUDA).
    """

    def __init__(self, lattice: Lattice, coupling: str = "bond", lam: float = 1.0, U: float = 0.0,
                 n_el: int = 2, solver: str = "scipy"):
        if not isinstance(lattice, Lattice):
            raise ValueError(f"lattice must be a bpcore.semiclassical.lattice.Lattice, got {type(lattice).__name__}")
        if coupling not in COUPLINGS:
            raise ValueError(f"coupling must be one of {COUPLINGS}, got {coupling!r}")
        check_number("lam", lam, minimum=0.0, strict_min=True)
        check_number("U", U, minimum=0.0)
        check_number("n_el", n_el, minimum=1, maximum=2, integer=True)
        if n_el == 1 and U != 0:
            raise ValueError("U must be 0 for a single electron (n_el = 1)")
        if solver not in ("scipy", "taichi"):
            raise ValueError(f"solver must be 'scipy' or 'taichi', got {solver!r}")
        self.solver = solver
        self._batched = None
        self.lattice = lattice
        self.coupling = coupling
        self.lam = float(lam)
        self.U = float(U)
        self.n_el = int(n_el)
        d = lattice.d
        #: elastic energy per unit |x|^2 (units of t)
        self.e_el = 1.0 / (4 * d * self.lam) if coupling == "bond" else 1.0 / (8 * d * self.lam)
        #: scaled stiffness k: S*Omega = int sqrt(2 k (V - V*)) |dx|
        self.stiffness = 2.0 * self.e_el
        self.n_dof = lattice.n_bonds if coupling == "bond" else lattice.n_sites
        self._sym = None
        self._hmap = None
        self.n_evals = 0

    # ------------------------------------------------------------------ one-electron matrix
    def hamiltonians(self, X: np.ndarray) -> np.ndarray:
        """One-electron matrices ``h(x)`` for a batch ``X`` of shape (B, n_dof) -> (B, N, N)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        B, N = X.shape[0], self.lattice.n_sites
        if self._hmap is None:
            i, j = self.lattice.bonds[:, 0], self.lattice.bonds[:, 1]
            nb = len(i)
            h0 = np.zeros(N * N)
            np.add.at(h0, i * N + j, -1.0)
            np.add.at(h0, j * N + i, -1.0)
            if self.coupling == "bond":  # dh/du_b = -1 on (i, j) and (j, i)
                M = sp.csr_matrix((-np.ones(2 * nb), (np.concatenate([i * N + j, j * N + i]),
                                                       np.concatenate([np.arange(nb)] * 2))), shape=(N * N, nb))
            else:  # dh/dv_i = -1 on (i, i)
                M = sp.csr_matrix((-np.ones(N), (np.arange(N) * N + np.arange(N), np.arange(N))), shape=(N * N, N))
            self._hmap = (h0, M)
        h0, M = self._hmap
        return (h0[None, :] + (M @ X.T).T).reshape(B, N, N)

    # ------------------------------------------------------------------ energies and forces
    def energies_grads(self, X: np.ndarray):
        """Adiabatic energies ``V`` (B,) and gradients ``dV/dx`` (B, n_dof) for a batch ``X``."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if X.shape[1] != self.n_dof:
            raise ValueError(f"configuration has {X.shape[1]} coordinates, model has {self.n_dof}")
        if not np.all(np.isfinite(X)):
            raise ValueError("configuration contains non-finite displacements")
        self.n_evals += X.shape[0]
        if self.n_el == 2 and self.U > 0 and self.solver == "taichi":
            E_el, Psi = self._taichi_batch(X)
            R = Psi @ Psi
        elif self.n_el == 2 and self.U > 0:
            with blas_single_thread():
                E_el, R = zip(*(self._two_electron(x) for x in X))
            E_el, R = np.array(E_el), np.array(R)  # R = Psi @ Psi, (B, N, N)
        else:
            H = self.hamiltonians(X)
            E_el = np.empty(len(X))
            psi = np.empty((len(X), H.shape[1]))
            with blas_single_thread():
                for b in range(len(X)):  # LAPACK syevr, lowest eigenpair only
                    w, v = scipy.linalg.eigh(H[b], subset_by_index=[0, 0], check_finite=False)
                    E_el[b], psi[b] = w[0], v[:, 0]
            occ = float(self.n_el)
            E_el *= occ
            R = 0.5 * occ * psi[:, :, None] * psi[:, None, :]  # = Psi Psi for the singlet
        i, j = self.lattice.bonds[:, 0], self.lattice.bonds[:, 1]
        if self.coupling == "bond":
            g_el = -4.0 * R[:, i, j]
        else:
            N = self.lattice.n_sites
            g_el = -2.0 * R[:, np.arange(N), np.arange(N)]
        V = E_el + self.e_el * np.einsum("bk,bk->b", X, X)
        G = g_el + 2.0 * self.e_el * X
        return V, G

    def energy_grad(self, x: np.ndarray):
        V, G = self.energies_grads(np.asarray(x, dtype=float)[None, :])
        return float(V[0]), G[0]

    def energy(self, x: np.ndarray) -> float:
        return self.energy_grad(x)[0]

    def pair_matrix(self, x: np.ndarray) -> np.ndarray:
        """``R = Psi Psi`` (N, N): ``2 R_ii`` is the electron density (sums to n_el), ``4 R_ij`` the
        bond kinetic correlation ``<sum_sigma c+_i c_j + h.c.>``."""
        x = np.asarray(x, dtype=float)
        if self.n_el == 2 and self.U > 0:
            return self._two_electron(x)[1]
        w, v = scipy.linalg.eigh(self.hamiltonians(x[None])[0], subset_by_index=[0, 0])
        return 0.5 * self.n_el * np.outer(v[:, 0], v[:, 0])

    def density(self, x: np.ndarray) -> np.ndarray:
        """Electron density per site (sums to ``n_el``)."""
        return 2.0 * np.diag(self.pair_matrix(x)).copy()

    def double_occupancy(self, x: np.ndarray) -> float:
        """Probability that the two electrons sit on the same site (singlet only)."""
        if self.n_el != 2:
            return 0.0
        if self.U > 0:
            return float(np.sum(np.diag(self._two_electron(x, return_psi=True)[2]) ** 2))
        w, v = np.linalg.eigh(self.hamiltonians(np.asarray(x, float)[None])[0])
        return float(np.sum(v[:, 0] ** 4))

    # ------------------------------------------------------------------ two electrons, U > 0
    def _taichi_batch(self, X):
        from bpcore.semiclassical.taichi_lanczos import BatchedSinglet

        if self._batched is None:
            self._batched = BatchedSinglet(self.lattice.bonds, self.lattice.n_sites, self.U)
        if self.coupling == "bond":
            amp, onsite = -(1.0 + X), np.zeros((len(X), self.lattice.n_sites))
        else:
            amp, onsite = -np.ones((len(X), self.lattice.n_bonds)), -X
        return self._batched.ground_states(amp, onsite)

    def _symmetric_basis(self):
        if self._sym is None:
            N = self.lattice.n_sites
            iu, ju = np.triu_indices(N)
            D = len(iu)
            col = np.arange(D)
            diag = iu == ju
            # isometry S: symmetric basis (i<=j) -> full N^2 space
            rows = np.concatenate([iu * N + ju, (ju * N + iu)[~diag]])
            cols = np.concatenate([col, col[~diag]])
            vals = np.where(diag, 1.0, np.sqrt(0.5))
            vals = np.concatenate([vals, vals[~diag]])
            S = sp.csr_matrix((vals, (rows, cols)), shape=(N * N, D))
            dd = np.zeros(N * N)
            dd[np.arange(N) * N + np.arange(N)] = 1.0
            self._sym = dict(S=S, St=S.T.tocsr(), D=D, Udiag=sp.diags(dd), I=sp.identity(N, format="csr"),
                             v0=None)
        return self._sym

    def _two_electron(self, x: np.ndarray, return_psi: bool = False):
        """Singlet ground state for U > 0: returns (E_el, Psi @ Psi[, Psi])."""
        sb = self._symmetric_basis()
        N = self.lattice.n_sites
        h = sp.csr_matrix(self.hamiltonians(x[None])[0])
        Hf = sp.kron(h, sb["I"], format="csr") + sp.kron(sb["I"], h, format="csr") + self.U * sb["Udiag"]
        Hs = (sb["St"] @ Hf @ sb["S"]).tocsr()
        if sb["D"] <= 600:
            w, v = scipy.linalg.eigh(Hs.toarray(), subset_by_index=[0, 0])
            E, phi = w[0], v[:, 0]
        else:
            v0 = sb["v0"] if sb["v0"] is not None else np.ones(sb["D"])
            w, v = spla.eigsh(Hs, k=1, which="SA", v0=v0, tol=1e-12, ncv=min(sb["D"], 40))
            E, phi = w[0], v[:, 0]
            sb["v0"] = phi.copy()
        Psi = (sb["S"] @ phi).reshape(N, N)
        R = Psi @ Psi
        return (E, R, Psi) if return_psi else (E, R)

    # ------------------------------------------------------------------ minimisation
    def minimise(self, x0: np.ndarray, gtol: float = 1e-9, max_iter: int = 5000) -> Minimum:
        """L-BFGS relaxation from ``x0`` to a local minimum of ``V``."""
        x0 = np.asarray(x0, dtype=float)
        with blas_single_thread():
            res = scipy.optimize.minimize(self.energy_grad, x0, jac=True, method="L-BFGS-B",
                                          options=dict(maxiter=max_iter, gtol=gtol, ftol=1e-15, maxcor=30))
            g = self.energy_grad(res.x)[1]
        gn = float(np.max(np.abs(g)))
        return Minimum(res.x, float(res.fun), gn, int(res.nit), bool(gn < 1e3 * gtol))

    def seeds(self, n_random: int = 8, seed: int = 0) -> list[np.ndarray]:
        """Starting configurations: localised symmetric guesses plus random localised blobs."""
        lat, rng = self.lattice, np.random.default_rng(seed)
        d, lam = lat.d, self.lam
        out = []
        centre = 0
        if self.coupling == "bond":
            amp = 4 * d * lam * self.n_el / 2
            x = np.zeros(self.n_dof); x[centre] = amp; out.append(x)  # one bond
            star = np.flatnonzero((lat.bonds == centre).any(axis=1))
            x = np.zeros(self.n_dof); x[star] = amp / np.sqrt(len(star)); out.append(x)  # site-centred star
            pos = lat.bond_midpoints()
        else:
            amp = 4 * d * lam * self.n_el
            x = np.zeros(self.n_dof); x[centre] = amp; out.append(x)  # one site
            nb = lat.bonds[0]
            x = np.zeros(self.n_dof); x[nb] = amp / 2; out.append(x)  # shared by two sites
            pos = lat.coords
        out.append(np.zeros(self.n_dof) + 1e-3 * rng.standard_normal(self.n_dof))  # uniform
        for _ in range(n_random):
            c = pos[rng.integers(len(pos))]
            r2 = self._dist2(pos, c)
            width = rng.uniform(0.5, 2.0)
            x = amp * rng.uniform(0.2, 1.0) * np.exp(-r2 / (2 * width**2)) * rng.uniform(0.0, 1.0, len(pos))
            out.append(x)
        return out

    def _dist2(self, pos, c):
        delta = pos - c
        if self.lattice.L is not None:
            delta = (delta + self.lattice.L / 2) % self.lattice.L - self.lattice.L / 2
        return np.sum(delta**2, axis=-1)

    def ground_configuration(self, n_random: int = 8, seed: int = 0, centre: bool = True):
        """Lowest minimum found from :meth:`seeds`; returns (Minimum, list of all start energies).

        With ``centre`` the configuration is translated so that its densest site sits at the
        lattice centre (only for periodic lattices)."""
        mins = [self.minimise(x0) for x0 in self.seeds(n_random, seed)]
        best = min(mins, key=lambda m: m.energy)
        if centre and self.lattice.L is not None:
            best.x = self.centred(best.x)
        return best, [m.energy for m in mins]

    def translate(self, x: np.ndarray, shift=(1, 0)) -> np.ndarray:
        """The configuration translated by ``shift`` lattice spacings."""
        perm = self.lattice.bond_shift(shift) if self.coupling == "bond" else self.lattice.site_shift(shift)
        out = np.empty_like(x)
        out[perm] = x
        return out

    def centred(self, x: np.ndarray) -> np.ndarray:
        lat = self.lattice
        s = int(np.argmax(self.density(x) + 1e-9 * np.arange(lat.n_sites)[::-1]))
        target = lat.L // 2
        if lat.name == "chain":
            return self.translate(x, (target - s,))
        xs, ys = s % lat.L, s // lat.L
        return self.translate(x, (target - xs, target - ys))

    def localisation(self, x: np.ndarray) -> dict:
        """Measures of how well the self-trapped object fits the lattice.

        ``edge_ratio``: largest density at torus distance >= L/2 - 0.5 from the densest site divided by
        the largest density (small = the object and its translate fit); ``participation``: inverse
        participation ratio number of sites (n_el^2 / sum n_i^2)."""
        n = self.density(x)
        lat = self.lattice
        s = int(np.argmax(n))
        out = {"participation": float(self.n_el**2 / np.sum(n**2))}
        if lat.L is not None:
            r = np.sqrt(self._dist2(lat.coords, lat.coords[s]))
            far = r >= lat.L / 2 - 0.5
            out["edge_ratio"] = float(n[far].max() / n.max())
        return out

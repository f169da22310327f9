"""Zero-energy instantons (and minimum-energy paths) between degenerate classical minima.

Physics
-------
For phonons of mass M and frequency Omega = sqrt(K/M) moving adiabatically on the Born-Oppenheimer
surface V(X), the tunnelling amplitude between two degenerate minima X_a, X_b (V = V*) is
controlled, to exponential accuracy, by the zero-energy Euclidean action

    S = min over paths  int sqrt(2 M (V(X) - V*)) |dX|        (a geodesic of the Jacobi metric).

In the scaled coordinates of :mod:`.classical` (where V depends on lambda, U/t only) this reads
``S * Omega = int sqrt(2 k (V - V*)) |dx|`` with ``k`` the scaled stiffness
(:attr:`ClassicalModel.stiffness`); hence ``S = (t/Omega) F(lambda, U/t)`` and we report
``S Omega / t`` and ``S Omega / (t lambda)``.

Method (our derivation; the source paper's body was not available to us)
--------------------------------------------------------------------------
The path is a chain of ``n_images + 1`` images with fixed ends. The discretised action is the
trapezoidal sum ``A = sqrt(2k) sum_k (s_k + s_{k+1})/2 |x_{k+1} - x_k|`` with ``s = sqrt(V - V*)``;
its analytic gradient uses the Hellmann-Feynman forces, ``grad s = grad V / (2 s)``. The action is
invariant under reparametrisation, so the image spacing is fixed by a weak spring term
``kappa sum_k (l_{k+1} - l_k)^2`` (l_k segment lengths), which vanishes for equal spacing and only
acts along the path; the action is reported *without* it. The whole chain is relaxed by L-BFGS.
Convergence is checked (i) by the largest remaining gradient of an image relative to the size
of its terms (``residual``), (ii) in the notebook by doubling ``n_images`` and the
lattice size. A path that does not converge is returned with ``converged = False`` (the caller
decides whether that is an error; :func:`instanton` raises by default).

The minimum-energy path (MEP, for barriers) uses the simplified string method of E, Ren and
Vanden-Eijnden, J. Chem. Phys. 126, 164103 (2007): steepest descent of every image followed by
re-interpolation to equal arc length.

Implementation: NumPy/SciPy. The cost is the batch of image energies/forces, evaluated by
:meth:`ClassicalModel.energies_grads` (LAPACK per image); the chain algebra is O(n_images x n_dof).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

from bpcore.profiles import check_number


class PathNotConverged(RuntimeError):
    """Raised when an instanton/MEP optimisation does not converge and ``strict`` is set."""


@dataclass
class PathResult:
    """An optimised path.

    ``action`` is ``S Omega`` in units of t (the trapezoidal sum); ``barrier`` = max (V - V*) along
    the path; ``arc`` the Euclidean arc length at each image; ``residual`` the largest perpendicular
    gradient (action + spacing term) of an image relative to sqrt(2k) max(s), the size of the
    individual terms (dimensionless; 0 at the discrete optimum)."""

    path: np.ndarray
    energies: np.ndarray
    v_star: float
    action: float
    barrier: float
    arc: np.ndarray
    converged: bool
    n_iter: int
    residual: float
    message: str = ""
    history: list = field(default_factory=list)

    @property
    def n_images(self) -> int:
        return len(self.path) - 1


def _check_endpoints(xa, xb):
    xa = np.asarray(xa, dtype=float)
    xb = np.asarray(xb, dtype=float)
    if xa.shape != xb.shape or xa.ndim != 1:
        raise ValueError("end points must be 1D arrays of the same length")
    if np.linalg.norm(xa - xb) < 1e-8 * max(1.0, np.linalg.norm(xa)):
        raise ValueError("end points coincide: the configuration equals its translate "
                         "(no self-trapped object on this lattice / L too small?)")
    return xa, xb


def initial_path(xa, xb, n_images: int, kind: str = "linear") -> np.ndarray:
    """``n_images + 1`` images from ``xa`` to ``xb``: straight line, or ``"arc"``
    ``x(theta) = xa cos(theta) + xb sin(theta)`` (keeps |x| for non-overlapping ends)."""
    s = np.linspace(0.0, 1.0, n_images + 1)[:, None]
    if kind == "linear":
        return (1 - s) * xa + s * xb
    if kind == "arc":
        th = 0.5 * np.pi * s
        return np.cos(th) * xa + np.sin(th) * xb
    raise ValueError(f"initial path kind must be 'linear' or 'arc', got {kind!r}")


def action_and_grad(X, V, G, v_star, stiffness, eps=1e-14):
    """Trapezoidal Jacobi action of the chain ``X`` (n+1, D) and its gradient w.r.t. every image."""
    dV = np.maximum(V - v_star, 0.0)
    s = np.sqrt(dV + eps)
    ds = G / (2.0 * s[:, None])
    dX = np.diff(X, axis=0)
    ell = np.linalg.norm(dX, axis=1)
    e = dX / np.maximum(ell, 1e-300)[:, None]
    w = 0.5 * (s[:-1] + s[1:])
    c = np.sqrt(2.0 * stiffness)
    A = c * np.sum(w * ell)
    grad = np.zeros_like(X)
    grad[1:-1] = c * (0.5 * (ell[:-1] + ell[1:])[:, None] * ds[1:-1] + w[:-1, None] * e[:-1] - w[1:, None] * e[1:])
    # the trapezoid weights also carry 0.5*(ell) * ds for end images, irrelevant (fixed)
    return A, grad, s, ell, e


def optimise_action(energies_grads, xa, xb, stiffness: float, n_images: int = 24, init="linear",
                    spring: float = 1.0, gtol: float = 1e-8, max_iter: int = 20000, tol: float = 1e-5,
                    strict: bool = False, v_star: float | None = None) -> PathResult:
    """Minimise the zero-energy action between minima ``xa`` and ``xb``.

    Parameters
    ----------
    energies_grads : callable ``X (B, D) -> (V (B,), dV/dx (B, D))`` (batched potential).
    stiffness : ``k`` in ``S Omega = int sqrt(2 k (V - V*)) |dx|``.
    n_images : number of segments (``n_images - 1`` movable images).
    init : "linear", "arc", or an explicit (n_images + 1, D) array.
    spring : strength of the equal-spacing term in units of sqrt(2k) max(s) / mean segment length.
    tol : largest accepted perpendicular residual (see :class:`PathResult`) for ``converged``.
    strict : raise :class:`PathNotConverged` instead of returning a flagged result.
    """
    check_number("n_images", n_images, minimum=2, integer=True)
    check_number("stiffness", stiffness, minimum=0.0, strict_min=True)
    check_number("spring", spring, minimum=0.0, strict_min=True)
    xa, xb = _check_endpoints(xa, xb)
    n_images = int(n_images)
    X0 = initial_path(xa, xb, n_images, init) if isinstance(init, str) else np.array(init, dtype=float)
    if X0.shape != (n_images + 1, xa.size):
        raise ValueError(f"initial path must have shape {(n_images + 1, xa.size)}, got {X0.shape}")
    X0[0], X0[-1] = xa, xb
    Vend, Gend = energies_grads(np.stack([xa, xb]))
    if v_star is None:
        v_star = float(np.mean(Vend))
    if abs(Vend[0] - Vend[1]) > 1e-6 * max(1.0, abs(v_star)):
        warnings.warn(f"end-point energies differ by {Vend[0] - Vend[1]:.3g}: not a zero-energy instanton")
    # scales of the spring term from the initial path
    V0, _ = energies_grads(X0[1:-1])
    smax = float(np.sqrt(max(np.max(V0 - v_star), 1e-12)))
    ell0 = float(np.mean(np.linalg.norm(np.diff(X0, axis=0), axis=1)))
    c = np.sqrt(2.0 * stiffness)
    kappa = spring * c * smax / ell0
    D = xa.size

    def full(y):
        X = np.concatenate([xa[None], y.reshape(n_images - 1, D), xb[None]])
        V, G = energies_grads(X[1:-1])
        V = np.concatenate([[Vend[0]], V, [Vend[1]]])
        G = np.concatenate([Gend[:1], G, Gend[1:]])
        return X, V, G

    def fun(y):
        X, V, G = full(y)
        A, grad, s, ell, e = action_and_grad(X, V, G, v_star, stiffness)
        dl = np.diff(ell)
        P = kappa * np.sum(dl**2)
        r = np.zeros_like(ell)  # dP/d ell_j
        r[:-1] -= 2 * kappa * dl
        r[1:] += 2 * kappa * dl
        gP = np.zeros_like(X)
        gP[1:] += r[:, None] * e
        gP[:-1] -= r[:, None] * e
        return A + P, (grad + gP)[1:-1].ravel()

    res = scipy.optimize.minimize(fun, X0[1:-1].ravel(), jac=True, method="L-BFGS-B",
                                  options=dict(maxiter=max_iter, maxfun=2 * max_iter, gtol=gtol * c * smax,
                                               ftol=1e-14, maxcor=50))
    X, V, G = full(res.x)
    _, gfull = fun(res.x)
    A, grad, s, ell, e = action_and_grad(X, V, G, v_star, stiffness)
    # each image's gradient is a sum of terms of size ~ sqrt(2k) max(s): measure stationarity against it
    residual = float(np.max(np.linalg.norm(gfull.reshape(n_images - 1, D), axis=1)) / (c * max(s.max(), 1e-300)))
    spacing = float(np.max(np.abs(ell / ell.mean() - 1)))
    converged = bool(residual < tol)
    arc = np.concatenate([[0.0], np.cumsum(ell)])
    msg = (f"L-BFGS: {res.message}; residual {residual:.2e} (tol {tol:.0e}); "
           f"largest spacing deviation {spacing:.1e}")
    out = PathResult(X, V, v_star, float(A), float(np.max(V - v_star)), arc, converged, int(res.nit), residual, msg)
    if strict and not converged:
        raise PathNotConverged("instanton path did not converge: " + msg)
    return out


def minimum_energy_path(energies_grads, xa, xb, n_images: int = 24, step: float = 0.5,
                        max_iter: int = 20000, tol: float = 1e-6, init="linear", strict: bool = False) -> PathResult:
    """Minimum-energy path by the simplified string method (steepest descent + equal-arc reparametrisation).

    ``step`` is the descent step (units of x^2 / t); the barrier is refined by parabolic
    interpolation around the highest image. ``action`` is left as NaN."""
    check_number("n_images", n_images, minimum=2, integer=True)
    check_number("step", step, minimum=0.0, strict_min=True)
    xa, xb = _check_endpoints(xa, xb)
    X = initial_path(xa, xb, int(n_images), init) if isinstance(init, str) else np.array(init, dtype=float)
    V, G = energies_grads(X)
    v_star = float(np.mean(V[[0, -1]]))
    it, change = 0, np.inf
    for it in range(1, max_iter + 1):
        Xn = X.copy()
        Xn[1:-1] -= step * G[1:-1]
        seg = np.linalg.norm(np.diff(Xn, axis=0), axis=1)
        a = np.concatenate([[0.0], np.cumsum(seg)]) / max(seg.sum(), 1e-300)
        target = np.linspace(0, 1, len(X))
        Xr = np.empty_like(Xn)
        for dim in range(X.shape[1]):
            Xr[:, dim] = np.interp(target, a, Xn[:, dim])
        change = float(np.max(np.abs(Xr - X))) / step
        X = Xr
        V, G = energies_grads(X)
        if change < tol:
            break
    ell = np.linalg.norm(np.diff(X, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(ell)])
    k = int(np.argmax(V))
    barrier = float(V[k] - v_star)
    if 0 < k < len(V) - 1:  # parabola through the three highest-neighbourhood points
        x3, y3 = arc[k - 1:k + 2], V[k - 1:k + 2]
        cf = np.polyfit(x3, y3, 2)
        if cf[0] < 0:
            barrier = float(max(barrier, np.polyval(cf, -cf[1] / (2 * cf[0])) - v_star))
    converged = bool(change < tol)
    msg = f"string method: {it} iterations, last relative change {change:.2e} (tol {tol:.0e})"
    out = PathResult(X, V, v_star, float("nan"), barrier, arc, converged, it, change, msg)
    if strict and not converged:
        raise PathNotConverged("minimum-energy path did not converge: " + msg)
    return out


@dataclass
class LatticeInstanton:
    """Instanton of a classical lattice model between its optimum and the translate by (1, 0)."""

    model: object
    minimum: object
    path: PathResult
    inits_tried: dict
    localisation: dict

    @property
    def s_omega_over_t(self) -> float:
        return self.path.action

    def row(self) -> dict:
        m = self.model
        lat = m.lattice
        return {"model": m.coupling, "lattice": lat.name, "d": lat.d, "L": lat.L, "lam": m.lam, "U": m.U,
                "n_el": m.n_el, "n_images": self.path.n_images, "e_min_over_t": self.minimum.energy,
                "s_inst_omega_over_t": self.path.action, "s_inst_omega_over_t_lam": self.path.action / m.lam,
                "barrier_over_t": self.path.barrier, "path_length": float(self.path.arc[-1]),
                "converged": self.path.converged, "residual": self.path.residual, "n_iter": self.path.n_iter,
                "edge_ratio": self.localisation.get("edge_ratio", np.nan),
                "participation": self.localisation["participation"]}


def lattice_instanton(model, n_images: int = 24, shift=(1, 0), inits=("linear", "arc"), n_random: int = 8,
                      seed: int = 0, edge_tol: float = 1e-3, strict: bool = True, minimum=None,
                      **kwargs) -> LatticeInstanton:
    """Instanton between the lowest classical configuration of ``model`` and its translate.

    The optimum is searched from :meth:`ClassicalModel.seeds` (``n_random`` random starts, ``seed``);
    it must be self-trapped and fit the periodic lattice with room to spare: the density at distance
    >= L/2 - 1/2 from its maximum must be below ``edge_tol`` times the maximum, otherwise a
    ``ValueError`` says that L is too small. Each initial path in ``inits`` is optimised and the
    lowest converged action kept (``strict``: raise :class:`PathNotConverged` if none converged,
    else return the best flagged result). Extra ``kwargs`` go to :func:`optimise_action`.
    """
    lat = model.lattice
    if lat.L is None:
        raise ValueError("the lattice instanton needs a periodic lattice (Lattice.chain or Lattice.square)")
    min_L = 6 if lat.d == 1 else 4
    if lat.L < min_L:
        raise ValueError(f"L = {lat.L} is too small to hold the bipolaron and its translate (need L >= {min_L})")
    if minimum is None:
        minimum, _ = model.ground_configuration(n_random=n_random, seed=seed)
    loc = model.localisation(minimum.x)
    if loc["edge_ratio"] > edge_tol:
        raise ValueError(f"L = {lat.L} is too small to hold the self-trapped {model.coupling} object at "
                         f"lambda = {model.lam} (edge density ratio {loc['edge_ratio']:.2e} > {edge_tol:g}); "
                         "increase L or lambda")
    xa = minimum.x
    xb = model.translate(xa, shift)
    tried, best = {}, None
    for init in inits:
        r = optimise_action(model.energies_grads, xa, xb, model.stiffness, n_images, init=init,
                            v_star=minimum.energy, **kwargs)
        tried[init] = (r.action, r.converged)
        if best is None or (r.converged, -r.action) > (best.converged, -best.action):
            best = r
    if strict and not best.converged:
        raise PathNotConverged(f"no converged instanton for {model.coupling} lambda={model.lam}: {best.message}")
    return LatticeInstanton(model, minimum, best, tried, loc)

"""Lattices for the classical (Omega -> 0) electron-phonon problems.

A :class:`Lattice` is a set of ``n_sites`` sites and ``n_bonds`` bonds ``(i, j)``
(each nearest-neighbour pair once), with the dimension ``d`` that enters the
definition of the coupling constant lambda (lambda_bP = alpha^2/(d t Omega),
lambda_H = g^2/(2 d t Omega)), site coordinates, and -- for the periodic
chain / square lattice -- the translation maps used to build the translate of
a classical configuration by one lattice spacing.

Conventions: lattice constant 1; on the ``L x L`` torus site ``s = x + L*y``;
bond ``2*s + 0`` joins ``s`` to its +x neighbour, bond ``2*s + 1`` to its +y
neighbour. On the ring of ``L`` sites bond ``x`` joins ``x`` and ``x+1``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bpcore.profiles import check_number


@dataclass(frozen=True)
class Lattice:
    """Sites, bonds and (optionally) translations of a lattice.

    Attributes
    ----------
    n_sites, bonds : number of sites and an ``(n_bonds, 2)`` int array of site pairs.
    d : dimension used in the lambda convention (1 for the chain, 2 for the square lattice).
    coords : ``(n_sites, d)`` site positions (lattice constant 1).
    L : linear size (None for a hand-made cluster).
    name : "chain", "square" or "cluster".
    """

    n_sites: int
    bonds: np.ndarray
    d: int
    coords: np.ndarray
    L: int | None = None
    name: str = "cluster"
    _site_shift: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_bonds(self) -> int:
        return len(self.bonds)

    # -- constructors ---------------------------------------------------------------------------
    @classmethod
    def chain(cls, L: int) -> "Lattice":
        """Periodic ring of ``L >= 3`` sites (d = 1)."""
        check_number("L", L, minimum=3, integer=True)
        L = int(L)
        x = np.arange(L)
        bonds = np.stack([x, (x + 1) % L], axis=1)
        return cls(L, bonds, 1, x[:, None].astype(float), L, "chain")

    @classmethod
    def square(cls, L: int) -> "Lattice":
        """``L x L`` torus (d = 2), ``L >= 3`` (L = 2 would double every bond)."""
        check_number("L", L, minimum=3, integer=True)
        L = int(L)
        s = np.arange(L * L)
        x, y = s % L, s // L
        right = ((x + 1) % L) + L * y
        up = x + L * ((y + 1) % L)
        bonds = np.empty((2 * L * L, 2), dtype=int)
        bonds[0::2, 0], bonds[0::2, 1] = s, right
        bonds[1::2, 0], bonds[1::2, 1] = s, up
        coords = np.stack([x, y], axis=1).astype(float)
        return cls(L * L, bonds, 2, coords, L, "square")

    @classmethod
    def cluster(cls, n_sites: int, bonds, d: int = 1) -> "Lattice":
        """A finite cluster (open boundaries), e.g. a dimer ``cluster(2, [(0, 1)])``.

        ``d`` only sets the lambda convention (the elastic constant); translations are undefined.
        """
        check_number("n_sites", n_sites, minimum=1, integer=True)
        b = np.asarray(bonds, dtype=int).reshape(-1, 2)
        if b.size and (b.min() < 0 or b.max() >= n_sites or np.any(b[:, 0] == b[:, 1])):
            raise ValueError("bonds must join two different sites in range(n_sites)")
        return cls(int(n_sites), b, int(d), np.arange(n_sites, dtype=float)[:, None], None, "cluster")

    # -- translations ---------------------------------------------------------------------------
    def site_shift(self, shift=(1, 0)) -> np.ndarray:
        """Permutation ``p`` with ``p[s]`` = image of site ``s`` translated by ``shift``."""
        if self.name == "chain":
            return (np.arange(self.L) + int(shift[0] if np.ndim(shift) else shift)) % self.L
        if self.name == "square":
            sx, sy = (tuple(shift) + (0,))[:2]
            s = np.arange(self.n_sites)
            x, y = s % self.L, s // self.L
            return ((x + sx) % self.L) + self.L * ((y + sy) % self.L)
        raise ValueError("translations are defined only for the periodic chain and square lattice")

    def bond_shift(self, shift=(1, 0)) -> np.ndarray:
        """Permutation ``q`` with ``q[b]`` = index of bond ``b`` translated by ``shift``."""
        p = self.site_shift(shift)
        if self.name == "chain":
            return p.copy()
        q = np.empty(self.n_bonds, dtype=int)
        q[0::2] = 2 * p
        q[1::2] = 2 * p + 1
        return q

    def bond_midpoints(self) -> np.ndarray:
        """Bond centres (unwrapped across the periodic boundary: the +x / +y neighbour side)."""
        c0 = self.coords[self.bonds[:, 0]]
        if self.name == "chain":
            return c0 + 0.5
        if self.name == "square":
            out = c0.copy()
            out[0::2, 0] += 0.5
            out[1::2, 1] += 0.5
            return out
        return 0.5 * (c0 + self.coords[self.bonds[:, 1]])

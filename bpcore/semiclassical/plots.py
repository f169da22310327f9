"""Matplotlib drawing helpers for Figures 2, 5 and 9 (no physics; data come from the Store)."""
from __future__ import annotations

import numpy as np


def draw_bond_configuration(ax, conf, L: int, window: int | None = 6, cmap="viridis"):
    """Heat map of a 2D bond configuration: bonds coloured by displacement, sites sized by density.

    ``conf`` is the "configuration" table of :func:`bpcore.semiclassical.figures.instanton_point`.
    Only a ``window x window`` patch around the densest site is drawn. Returns the bond colour mappable."""
    from matplotlib.collections import LineCollection

    sites = conf[conf.kind == "site_density"].drop_duplicates("index").sort_values("index")
    bonds = conf[conf.kind == "bond"].drop_duplicates("index")
    dens = sites.density.to_numpy()
    xy = sites[["x", "y"]].to_numpy()
    c = xy[int(np.argmax(dens))]
    w = window if window is not None else L

    def wrap(p):
        return (p - c + L / 2) % L - L / 2

    segs, vals = [], []
    for _, b in bonds.iterrows():
        p0 = wrap(xy[int(b.i)])
        p1 = p0 + (np.array([1.0, 0.0]) if int(b["index"]) % 2 == 0 else np.array([0.0, 1.0]))
        if np.all(np.abs(p0) <= w / 2) and np.all(np.abs(p1) <= w / 2):
            segs.append([p0, p1])
            vals.append(b.displacement)
    lc = LineCollection(segs, array=np.asarray(vals), cmap=cmap, linewidths=6, zorder=1)
    ax.add_collection(lc)
    pw = np.array([wrap(p) for p in xy])
    sel = np.all(np.abs(pw) <= w / 2, axis=1)
    ax.scatter(pw[sel, 0], pw[sel, 1], s=8 + 260 * dens[sel] / dens.max(), facecolors="none", edgecolors="crimson",
               linewidths=1.5, zorder=2)
    ax.set_aspect("equal")
    ax.set_xlim(-w / 2 - 0.5, w / 2 + 0.5)
    ax.set_ylim(-w / 2 - 0.5, w / 2 + 0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    return lc


def draw_bond_peierls_schematic(ax, n: int = 4):
    """Cartoon of the bond-Peierls lattice: electrons hop between sites (filled), one oscillator
    (open circle on a spring) sits on every bond and modulates that bond's hopping."""
    from matplotlib.patches import Circle

    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n:
                    ax.plot([i, i + di], [j, j + dj], color="0.6", lw=1.2, zorder=0)
                    mx, my = i + di / 2, j + dj / 2
                    # zig-zag spring transverse to the bond, then the ion
                    s = np.linspace(0, 0.16, 9)
                    zz = 0.05 * np.array([0, 1, -1, 1, -1, 1, -1, 1, 0])
                    if di:  # horizontal bond: oscillator displaced along y
                        ax.plot(mx + zz, my + s, color="0.35", lw=0.8, zorder=1)
                        ax.add_patch(Circle((mx, my + 0.2), 0.06, fc="white", ec="tab:blue", lw=1.5, zorder=2))
                        ax.annotate("", (mx, my + 0.34), (mx, my + 0.06), zorder=3,
                                    arrowprops=dict(arrowstyle="<->", color="tab:blue", lw=0.8)) if (i, j) == (1, 1) else None
                    else:
                        ax.plot(mx + s, my + zz, color="0.35", lw=0.8, zorder=1)
                        ax.add_patch(Circle((mx + 0.2, my), 0.06, fc="white", ec="tab:blue", lw=1.5, zorder=2))
            ax.add_patch(Circle((i, j), 0.11, fc="black", zorder=3))
    ax.annotate(r"$t_{ij}=t+\alpha' X_{\langle ij\rangle}$", (1.5, 1.0), (1.05, -0.55), fontsize=10,
                arrowprops=dict(arrowstyle="->", color="0.3"))
    ax.set_xlim(-0.5, n - 0.3)
    ax.set_ylim(-0.8, n - 0.3)
    ax.set_aspect("equal")
    ax.axis("off")

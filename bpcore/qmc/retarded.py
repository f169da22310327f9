"""Holstein QMC with the phonons integrated out exactly: worldlines of hop kinks only, weighted by the
retarded action (``action="retarded"`` in :func:`bpcore.qmc.run`).

Why: the line engine (:mod:`bpcore.qmc.engine`) samples the Holstein phonons as lines joining density
vertices, and its moves that change the displacement D (the mass estimator) may cut the worldlines only
at times that no line covers. At strong coupling the lines cover all of [0, beta) and D freezes. Summing
the lines analytically removes that constraint: a kink may go anywhere, its cost is the change of the
action.

Weight of a configuration (two electrons s, s' in {0, 1}; one electron: s = s' = 0)::

    W = t^{n_kinks} eta^{dist(m)} exp(Phi - int_0^beta v(r_0 - r_1) dtau),
    Phi = g^2 sum_{s, s'} int_0^beta dtau int_0^beta du exp(-Omega u) delta(r_s(tau), r~_s'(tau + u)),

with r~ the unfolded worldline (r~(tau + beta) = r(tau) + D). Phi is the mean number of phonon lines of
the line engine given the worldlines (a line of length u weighs g^2 exp(-Omega u), the lines are
independent), so exp(Phi) is exactly the sum over all line configurations: both engines sample the same
distribution of worldlines, with the same truncation (lines longer than beta dropped, relative error
O(exp(-Omega beta))). The worldlines are piecewise constant, so Phi is a sum over pairs of segments of
closed-form double integrals: with G'' = exp(-Omega u) 1[0 < u < beta],
int_a0^a1 int_b0^b1 f(tau' - tau) = G(b1 - a0) - G(b1 - a1) - G(b0 - a0) + G(b0 - a1).

Estimators are the conditional expectations of the line engine's, given the worldlines (lower variance):
events = n_kinks + 2 Phi, lines = Phi, sum of line lengths Psi = g^2 sum int int u exp(-Omega u) delta,
energy = (-n_kinks - 2 Phi + Omega Psi + int v) / beta, phonon number = Psi / beta.

Each update is applied in place and a rejected update is undone by its inverse. The kink-pair and
shift updates change one path only on a time window W: the change of the action is the difference of
the parts of Phi over W x [0, beta) and [0, beta) x W before and after (:meth:`RetardedEngine.local_phi`;
O(k n log n) for k segments in W, instead of O(n^2)), and the cached Phi and Psi are updated by it. The
updates that change a displacement D or a whole path (cuts, translation) recompute the parts that
involve the changed worldline from scratch (O(n_s (n_0 + n_1)) segment pairs). The cache is recomputed
from scratch at the start of every block, so rounding cannot accumulate, and a resumed run stays
identical to an uninterrupted one. Updates (indices of :data:`bpcore.qmc.engine.MOVES`): 0 kink-antikink pair on one electron
(shifts the path on an unfolded window of length < ``window``; across tau = beta it also translates the
start, so the relative coordinate at tau = 0 moves), 2 shift a kink in time between its neighbours,
4 one kink (a cut: D_s changes), 5 one kink on each electron, same direction, |tc_1 - tc_0| < ``cut_width``
(the pair's centre moves), 6 translate one electron's worldline. No phonon-line moves (1, 3, 7).
"""
import numpy as np
import taichi as ti

from bpcore.qmc.engine import CapacityError, Engine


@ti.data_oriented
class RetardedEngine(Engine):
    """Holstein worldlines with the exact retarded action; same host interface as :class:`Engine`."""

    def __init__(self, W: int, CAP: int, threads: int | None = None):
        super().__init__(W, CAP, threads)
        # cached parts of Phi: [0] = P(0,0), [1] = P(1,1), [2] = P(0,1) + P(1,0); [3] = int v dtau;
        # [4], [5], [6]: the same parts of Psi (the estimator of the phonon number)
        self.phi = ti.field(ti.f64, shape=(W, 7))
        self.rf = ti.field(ti.f64, shape=4)  # [0] kink-pair window; [1], [2] slopes of G_0, G_1 beyond beta

    def configure(self, *, window=2.0, **kw):
        if kw.get("model") != "holstein":
            raise ValueError("the retarded-action engine is for the Holstein model only")
        super().configure(**kw)
        om, beta = float(kw["omega"]), float(kw["beta"])
        xb = om * beta
        slopes = [-np.expm1(-xb) / om, (1.0 - np.exp(-xb) * (1.0 + xb)) / om ** 2]
        self.rf.from_numpy(np.array([min(float(window), beta), *slopes, 0.0]))

    def reset(self):
        self._reset()
        self.k_refresh()

    def set_r_max(self, r_max: int):
        super().set_r_max(r_max)
        self.k_refresh()  # the wall is part of the cached int v dtau

    def set_state(self, st: dict):
        super().set_state(st)
        self.k_refresh()  # Phi is a function of the worldlines: recomputed, not stored

    def run_block(self, n_sweeps: int, measure: int = 1, counts=(1, 0, 1, 0, 1, 0), model: int = 1):
        self.k_zero()
        self.k_refresh()  # the local updates accumulate their changes: start each block exact
        c = [int(x) for x in counts]
        for m in (1, 3, 7):
            if m < len(c) and c[m]:
                raise ValueError(f"update {m} (phonon lines) does not exist with the retarded action")
        for _ in range(int(n_sweeps)):
            for m, cm in enumerate(c):
                if cm:
                    self.k_move_r(m, cm)
            if measure:
                self.k_measure_r()
        if self.overflow.to_numpy().any():
            raise CapacityError(f"a chain exceeded its capacity of {self.CAP} kinks per electron")
        return self.acc.to_numpy(), self.att.to_numpy(), self.ok.to_numpy()

    def phi_now(self) -> np.ndarray:
        """(W, 4) cached action parts (tests compare them with a fresh computation)."""
        return self.phi.to_numpy()

    # ------------------------------------------------------------------ kernels
    @ti.kernel
    def k_refresh(self):
        for j in range(self.R):
            w = self.walker(j)
            if w >= 0:
                self.refresh(w)

    @ti.kernel
    def k_move_r(self, m: ti.template(), n: ti.i32):
        for j in range(self.R):
            w = self.walker(j)
            if w >= 0:
                for _it in range(n):
                    if self.overflow[w] == 0:
                        if ti.static(m == 0):
                            self.r_pair(w)
                        if ti.static(m == 2):
                            self.r_shift(w)
                        if ti.static(m == 4):
                            self.r_end(w)
                        if ti.static(m == 5):
                            self.r_cut2(w)
                        if ti.static(m == 6):
                            self.r_translate(w)

    @ti.kernel
    def k_measure_r(self):
        for j in range(self.R):
            w = self.walker(j)
            if w >= 0:
                if self.overflow[w] == 0:
                    self.r_measure(w)

    # ------------------------------------------------------------------ the action
    @ti.func
    def g2v(self, u):
        """(G_0(u), G_1(u)): second antiderivatives of f(u) 1[0 < u < beta] for f = exp(-Omega u) and
        u exp(-Omega u), zero for u <= 0 and linear beyond beta (slopes precomputed in ``rf``). One
        exponential serves both."""
        om = self.pf[1]
        beta = self.pf[0]
        r0 = 0.0
        r1 = 0.0
        if u > 0.0:
            x = om * ti.min(u, beta)
            h0 = 0.0
            h1 = 0.0
            if x < 1e-2:
                h0 = x * x * (0.5 - x * (1.0 / 6.0 - x * (1.0 / 24.0 - x * (1.0 / 120.0 - x / 720.0))))
                h1 = x * x * x * (1.0 / 6.0 - x * (1.0 / 12.0 - x * (1.0 / 40.0 - x / 180.0)))
            else:
                ex = ti.exp(-x)
                h0 = x - 1.0 + ex
                h1 = x - 2.0 * (1.0 - ex) + x * ex
            r0 = h0 / (om * om)
            r1 = h1 / (om * om * om)
            if u > beta:
                r0 += self.rf[1] * (u - beta)
                r1 += self.rf[2] * (u - beta)
        return ti.Vector([r0, r1])

    @ti.func
    def rect(self, a0, a1, ra, b0, b1, rb, Dsp):
        """int_a0^a1 dtau int_b0^b1 dtau' f(tau' - tau) delta(ra, rb), summed over the two images of the
        second segment (tau' and tau' + beta, the latter displaced by D of its electron): (f = f_0, f_1)."""
        beta = self.pf[0]
        res = ti.Vector([0.0, 0.0])
        if a1 > a0 and b1 > b0:
            for img in range(2):
                sh = 0.0
                ok = 0
                if img == 0:
                    ok = b1 > a0 and self.same_site(ra, rb)
                else:
                    sh = beta
                    ok = b0 < a1 and self.same_site(ra, rb + Dsp)
                if ok:
                    for corner in range(4):
                        u = b1 + sh - a0
                        sg = 1.0
                        if corner == 1:
                            u = b1 + sh - a1
                            sg = -1.0
                        elif corner == 2:
                            u = b0 + sh - a0
                            sg = -1.0
                        elif corner == 3:
                            u = b0 + sh - a1
                        res += sg * self.g2v(u)
        return res

    @ti.func
    def seg(self, w, s, k):
        """Segment k = 0..n of electron s: (start, end, site)."""
        n = self.nev[w, s]
        a0 = 0.0
        r = self.x0[w, s]
        if k > 0:
            a0 = self.tau[w, s, k - 1]
            r = self.pos[w, s, k - 1]
        a1 = self.pf[0]
        if k < n:
            a1 = self.tau[w, s, k]
        return a0, a1, r

    @ti.func
    def action_parts(self, w, need0, need1, needc):
        """g^2 sum over segments a of s (in [0, beta)) and b of the unfolded s' (in [0, 2 beta)) on the
        same site of int_a int_b f(tau' - tau) (restricted to 0 < u = tau' - tau < beta), for
        (s, s') = (0, 0) if need0, (1, 1) if need1, (0, 1) and (1, 0) if needc. Returns (P00, P11,
        P01 + P10) for f_0 (Phi) and for f_1 (Psi) as one 6-vector. One loop over the combinations (not
        one inlined copy per combination: Taichi inlines every call, and the copies multiply the
        compile time)."""
        g = self.pf[3]
        out = ti.Vector([0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        for c in range(4):
            s = 0
            sp = 0
            slot = 0
            want = need0
            if c == 1:
                s = 1
                sp = 1
                slot = 1
                want = need1
            elif c >= 2:
                s = c - 2
                sp = 3 - c
                slot = 2
                want = needc
            if want == 1:
                res = ti.Vector([0.0, 0.0])
                Dsp = self.D[w, sp]
                for ka in range(self.nev[w, s] + 1):
                    a0, a1, ra = self.seg(w, s, ka)
                    for kb in range(self.nev[w, sp] + 1):
                        b0, b1, rb = self.seg(w, sp, kb)
                        res += self.rect(a0, a1, ra, b0, b1, rb, Dsp)
                out[slot] += g * g * res[0]
                out[slot + 3] += g * g * res[1]
        return out

    @ti.func
    def clip_sum(self, w, s, A, sp, B):
        """Like one combination of :meth:`action_parts`, with the first segments clipped to the set A
        and the second to B (before unfolding): A, B = (lo0, hi0, lo1, hi1), two intervals of
        [0, beta), empty where hi <= lo. Visits only the segments that meet A and B (binary search
        for the first), so a short window costs O(n log n), not O(n^2)."""
        res = ti.Vector([0.0, 0.0])
        Dsp = self.D[w, sp]
        na = self.nev[w, s]
        nb = self.nev[w, sp]
        for ia in range(2):
            lo = A[2 * ia]
            hi = A[2 * ia + 1]
            if hi > lo:
                ka = self.n_before(w, s, lo, 1)
                while ka <= na:
                    a0, a1, ra = self.seg(w, s, ka)
                    if a0 >= hi:
                        ka = na + 1
                    else:
                        a0 = ti.max(a0, lo)
                        a1 = ti.min(a1, hi)
                        for ib in range(2):
                            lob = B[2 * ib]
                            hib = B[2 * ib + 1]
                            if hib > lob:
                                kb = self.n_before(w, sp, lob, 1)
                                while kb <= nb:
                                    b0, b1, rb = self.seg(w, sp, kb)
                                    if b0 >= hib:
                                        kb = nb + 1
                                    else:
                                        res += self.rect(a0, a1, ra, ti.max(b0, lob), ti.min(b1, hib), rb, Dsp)
                                        kb += 1
                        ka += 1
        return res

    @ti.func
    def local_phi(self, w, s, t1, t2, wrapped):
        """The parts of Phi and Psi that can change when electron s's path changes only on the window
        W = [t1, t2) (``wrapped`` = 0) or [t1, beta) + [0, t2) (``wrapped`` = 1), D_s unchanged:
        (self part, cross part) for Phi and for Psi, as (Phi_ss, Phi_cross, Psi_ss, Psi_cross). The
        integration square [0, beta)^2 of (tau, tau') splits into W x all, W^c x W and W^c x W^c; only
        the first two involve the changed path in P(s, s); P(s, o) and P(o, s) change on W x all and
        all x W. The difference of this before and after the change is the exact change of the action."""
        beta = self.pf[0]
        g = self.pf[3]
        Wv = ti.Vector([t1, t2, 0.0, 0.0])
        Wc = ti.Vector([0.0, t1, t2, beta])
        if wrapped == 1:
            Wv = ti.Vector([t1, beta, 0.0, t2])
            Wc = ti.Vector([t2, t1, 0.0, 0.0])
        al = ti.Vector([0.0, beta, 0.0, 0.0])
        o = 1 - s
        nc = 2
        if self.pi[3] == 2:
            nc = 4
        out = ti.Vector([0.0, 0.0, 0.0, 0.0])
        for c in range(nc):
            s1 = s
            s2 = s
            A = Wv
            B = al
            slot = 0
            if c == 1:
                A = Wc
                B = Wv
            elif c == 2:
                s2 = o
                slot = 1
            elif c == 3:
                s1 = o
                A = al
                B = Wv
                slot = 1
            r = self.clip_sum(w, s1, A, s2, B)
            out[slot] += g * g * r[0]
            out[slot + 2] += g * g * r[1]
        return out

    @ti.func
    def vtotal(self, w):
        """int_0^beta v(r_0 - r_1) dtau (two electrons; U on site, V/r, the wall r_max)."""
        res = 0.0
        if self.pi[3] == 2 and (self.pf[4] != 0.0 or self.pf[5] != 0.0 or self.pi[5] > 0):
            _r2, res = self.walk_pair(w, 0, 1)
        return res

    @ti.func
    def parts(self, w, which):
        """Action parts after a change of electron ``which`` (0, 1; 2 = both; 3 = only the relative
        position, e.g. a translation): recomputes those that depend on it, keeps the others. Returns
        the 7 cached slots (see ``phi``)."""
        two = self.pi[3] == 2
        n0 = 0
        n1 = 0
        nc = 0
        if which == 0 or which == 2:
            n0 = 1
        if two:
            nc = 1
            if which == 1 or which == 2:
                n1 = 1
        a = self.action_parts(w, n0, n1, nc)
        p = ti.Vector([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        for k in ti.static(range(7)):
            p[k] = self.phi[w, k]
        if n0 == 1:
            p[0] = a[0]
            p[4] = a[3]
        if n1 == 1:
            p[1] = a[1]
            p[5] = a[4]
        if nc == 1:
            p[2] = a[2]
            p[6] = a[5]
        if not two:  # one electron: no second self part, no cross part (whatever the cache held)
            for k in ti.static((1, 2, 5, 6)):
                p[k] = 0.0
        p[3] = self.vtotal(w)
        return p

    @ti.func
    def refresh(self, w):
        p = self.parts(w, 2)
        for k in ti.static(range(7)):
            self.phi[w, k] = p[k]

    @ti.func
    def log_w(self, w):
        return self.phi[w, 0] + self.phi[w, 1] + self.phi[w, 2] - self.phi[w, 3]

    @ti.func
    def eta_ratio(self, w, lf_old):
        """log of the eta-factor ratio, ``lf_old`` = :meth:`lf_now` before the change."""
        return self.lf_now(w) - lf_old

    @ti.func
    def decide(self, w, which, base, lf_old, slot):
        """Metropolis step for an update already applied in place, the action recomputed for the changed
        worldline(s): acceptance base * exp(dlog W) * eta-factor ratio. Stores the new parts on
        acceptance; returns 1/0."""
        p = self.parts(w, which)
        dlog = (p[0] + p[1] + p[2] - p[3]) - self.log_w(w)
        ok = 0
        if base > 0.0:
            ok = self.accept(w, base * ti.exp(ti.min(dlog + self.eta_ratio(w, lf_old), 700.0)), slot)
        if ok == 1:
            for k in ti.static(range(7)):
                self.phi[w, k] = p[k]
        return ok

    @ti.func
    def decide_local(self, w, s, base, lf_old, slot, d):
        """As :meth:`decide` for a change of electron s on a window, ``d`` the change of
        :meth:`local_phi` (after minus before, computed at one call site per update: Taichi inlines
        each call): the action changes by it, and so does the cache (recomputed from scratch at the
        start of every block, so rounding cannot build up)."""
        v = self.vtotal(w)
        dlog = d[0] + d[1] - (v - self.phi[w, 3])
        ok = 0
        if base > 0.0:
            ok = self.accept(w, base * ti.exp(ti.min(dlog + self.eta_ratio(w, lf_old), 700.0)), slot)
        if ok == 1:
            self.phi[w, s] += d[0]
            self.phi[w, 2] += d[1]
            self.phi[w, 3] = v
            self.phi[w, 4 + s] += d[2]
            self.phi[w, 6] += d[3]
        return ok

    @ti.func
    def lf_now(self, w):
        lf = 0.0
        if self.pi[3] == 2:
            z = ti.Vector([0, 0, 0])
            lf = self.logf(w, z, z)
        return lf

    # ------------------------------------------------------------------ primitive edits
    @ti.func
    def kink_in(self, w, s, tc, d):
        """Insert a kink of direction d at tc (0 < tc < beta): the later path shifts by e_d, D_s += e_d."""
        self.cut_apply(w, s, 1, tc, d, 0, self.unit(d))

    @ti.func
    def kink_out(self, w, s, tc):
        """Remove the kink at time tc (it must exist): the later path shifts back, D_s -= e_d."""
        i = self.n_before(w, s, tc, 0)
        d = self.dirn[w, s, i]
        self.cut_apply(w, s, 0, tc, d, i, -self.unit(d))

    @ti.func
    def opposite(self, d):
        return d + 1 - 2 * (d % 2)

    @ti.func
    def pair_candidates(self, w, s, i, wp, rsel):
        """Kinks j != i of electron s opposite to kink i at forward delay (tau_j - tau_i) mod beta in
        (0, wp): their number and the index of the ``rsel``-th (-1 if none)."""
        beta = self.pf[0]
        dd = self.opposite(self.dirn[w, s, i])
        ti_ = self.tau[w, s, i]
        c = 0
        sel = -1
        for j in range(self.nev[w, s]):
            if j != i and self.dirn[w, s, j] == dd:
                dl = self.tau[w, s, j] - ti_
                if dl < 0.0:
                    dl += beta
                if dl > 0.0 and dl < wp:
                    if c == rsel:
                        sel = j
                    c += 1
        return c, sel

    # ------------------------------------------------------------------ updates
    @ti.func
    def r_pair(self, w):
        """Kink at tau_1 (direction e) and antikink at unfolded tau_1 + delta, delta < window: the path
        on that window shifts by e (through tau = beta: the start moves too). Reverse: a kink (uniform)
        and, uniformly, an opposite kink within the window after it. Acceptance
        t^2 exp(dlog W) beta 2d window / ((n + 2) k') for insertion, k' the candidates after it.
        The action changes only on the window: :meth:`local_phi` before and after (one call site in a
        loop over the two phases, and one :meth:`decide_local`: Taichi inlines each call, see
        :meth:`action_parts`)."""
        beta = self.pf[0]
        t = self.pf[2]
        dim = self.pi[1]
        nel = self.pi[3]
        wp = self.rf[0]
        s = self.randint(w, nel)
        n = self.nev[w, s]
        lf0 = self.lf_now(w)
        ins = 0
        if self.rand(w) < 0.5:
            ins = 1
        tried = 0
        base = 0.0
        t1 = 0.0
        t2 = 0.0
        d = 0
        wrapped = 0
        if ins == 1:
            if n + 2 > self.CAP:
                self.overflow[w] = 1
            else:
                t1 = self.rand(w) * beta
                d = self.randint(w, 2 * dim)
                t2 = t1 + self.rand(w) * wp
                if t2 >= beta:
                    t2 -= beta
                    wrapped = 1
                if t1 > 0.0 and t2 > 0.0 and t2 != t1:
                    tried = 1
        else:
            if n >= 2:
                i = self.randint(w, n)
                kc, _sel = self.pair_candidates(w, s, i, wp, -1)
                if kc > 0:
                    _c, j = self.pair_candidates(w, s, i, wp, self.randint(w, kc))
                    d = self.dirn[w, s, i]
                    t1 = self.tau[w, s, i]
                    t2 = self.tau[w, s, j]
                    if t2 < t1:
                        wrapped = 1
                    base = n * kc / (t * t * beta * (2 * dim) * wp)
                    tried = 1
        if tried == 1:
            dphi = ti.Vector([0.0, 0.0, 0.0, 0.0])
            for phase in range(2):  # the window's action before (0) and after (1) the change
                if phase == 1:
                    if ins == 1:
                        if wrapped == 1:
                            self.translate(w, s, self.unit(d))
                        self.kink_in(w, s, t1, d)
                        self.kink_in(w, s, t2, self.opposite(d))
                        kc, _sel = self.pair_candidates(w, s, self.n_before(w, s, t1, 0), wp, -1)
                        base = t * t * beta * (2 * dim) * wp / ((n + 2) * kc)
                    else:
                        self.kink_out(w, s, t2)
                        self.kink_out(w, s, t1)
                        if wrapped == 1:
                            self.translate(w, s, -self.unit(d))
                dphi += (2.0 * phase - 1.0) * self.local_phi(w, s, t1, t2, wrapped)
            if self.decide_local(w, s, base, lf0, 1 - ins, dphi) == 0:
                if ins == 1:
                    self.kink_out(w, s, t2)
                    self.kink_out(w, s, t1)
                    if wrapped == 1:
                        self.translate(w, s, -self.unit(d))
                else:
                    if wrapped == 1:
                        self.translate(w, s, self.unit(d))
                    self.kink_in(w, s, t1, d)
                    self.kink_in(w, s, t2, self.opposite(d))

    @ti.func
    def r_shift(self, w):
        """Move a kink to a uniform time between its neighbours (symmetric proposal); the path changes
        only between the old and the new time (:meth:`local_phi`)."""
        nel = self.pi[3]
        s = self.randint(w, nel)
        n = self.nev[w, s]
        if n > 0:
            i = self.randint(w, n)
            lo, hi = self.neighbour_times(w, s, i)
            told = self.tau[w, s, i]
            tnew = lo + self.rand(w) * (hi - lo)
            if tnew > lo and tnew < hi and tnew != told:
                d = self.dirn[w, s, i]
                lf0 = self.lf_now(w)
                dphi = ti.Vector([0.0, 0.0, 0.0, 0.0])
                for phase in range(2):  # the window's action before (0) and after (1) the move
                    if phase == 1:
                        self.kink_out(w, s, told)
                        self.kink_in(w, s, tnew, d)
                    dphi += (2.0 * phase - 1.0) * self.local_phi(w, s, ti.min(told, tnew), ti.max(told, tnew), 0)
                if self.decide_local(w, s, 1.0, lf0, 4, dphi) == 0:
                    self.kink_out(w, s, tnew)
                    self.kink_in(w, s, told, d)

    @ti.func
    def r_end(self, w):
        """One kink inserted at a uniform time (D_s changes) or a uniform kink removed. Acceptance
        t beta 2d / (n + 1) exp(dlog W) for insertion."""
        beta = self.pf[0]
        t = self.pf[2]
        dim = self.pi[1]
        nel = self.pi[3]
        s = self.randint(w, nel)
        n = self.nev[w, s]
        lf0 = self.lf_now(w)
        ins = 0
        if self.rand(w) < 0.5:
            ins = 1
        tried = 0
        base = 0.0
        tc = 0.0
        d = 0
        if ins == 1:
            if n + 1 > self.CAP:
                self.overflow[w] = 1
            else:
                tc = self.rand(w) * beta
                d = self.randint(w, 2 * dim)
                if tc > 0.0:
                    self.kink_in(w, s, tc, d)
                    base = t * beta * (2 * dim) / (n + 1)
                    tried = 1
        else:
            if n > 0:
                i = self.randint(w, n)
                tc = self.tau[w, s, i]
                d = self.dirn[w, s, i]
                self.kink_out(w, s, tc)
                base = n / (t * beta * (2 * dim))
                tried = 1
        if tried == 1:
            if self.decide(w, s, base, lf0, 9 - ins) == 0:
                if ins == 1:
                    self.kink_out(w, s, tc)
                else:
                    self.kink_in(w, s, tc, d)

    @ti.func
    def r_cut2(self, w):
        """Kinks of the same direction on both electrons at tc_0 (uniform) and tc_1, |tc_1 - tc_0| <
        cut_width: D_0 and D_1 change together. Reverse: a kink of electron 0 (uniform) and, uniformly,
        a kink of electron 1 with its direction within the window. Acceptance
        t^2 exp(dlog W) beta 2 width 2d / ((n_0 + 1) N_c') for insertion."""
        beta = self.pf[0]
        t = self.pf[2]
        dim = self.pi[1]
        width = self.pf[7]
        n0 = self.nev[w, 0]
        lf0 = self.lf_now(w)
        ins = 0
        if self.rand(w) < 0.5:
            ins = 1
        tried = 0
        base = 0.0
        tc0 = 0.0
        tc1 = 0.0
        d = 0
        if ins == 1:
            if n0 + 1 > self.CAP or self.nev[w, 1] + 1 > self.CAP:
                self.overflow[w] = 1
            else:
                tc0 = self.rand(w) * beta
                tc1 = tc0 + (2.0 * self.rand(w) - 1.0) * width
                d = self.randint(w, 2 * dim)
                if tc0 > 0.0 and tc1 > 0.0 and tc1 < beta:
                    self.kink_in(w, 0, tc0, d)
                    self.kink_in(w, 1, tc1, d)
                    nc, _s = self.count_near(w, tc0, d, width, -1)
                    base = t * t * beta * 2.0 * width * (2 * dim) / ((n0 + 1) * nc)
                    tried = 1
        else:
            if n0 > 0 and self.nev[w, 1] > 0:
                i0 = self.randint(w, n0)
                d = self.dirn[w, 0, i0]
                tc0 = self.tau[w, 0, i0]
                nc, _s = self.count_near(w, tc0, d, width, -1)
                if nc > 0:
                    _c, i1 = self.count_near(w, tc0, d, width, self.randint(w, nc))
                    tc1 = self.tau[w, 1, i1]
                    self.kink_out(w, 1, tc1)
                    self.kink_out(w, 0, tc0)
                    base = n0 * nc / (t * t * beta * 2.0 * width * (2 * dim))
                    tried = 1
        if tried == 1:
            if self.decide(w, 2, base, lf0, 11 - ins) == 0:
                if ins == 1:
                    self.kink_out(w, 1, tc1)
                    self.kink_out(w, 0, tc0)
                else:
                    self.kink_in(w, 0, tc0, d)
                    self.kink_in(w, 1, tc1, d)

    @ti.func
    def r_translate(self, w):
        """Translate one electron's whole worldline by a unit vector (symmetric proposal)."""
        dim = self.pi[1]
        s = self.randint(w, 2)
        e = self.unit(self.randint(w, 2 * dim))
        lf0 = self.lf_now(w)
        self.translate(w, s, e)
        if self.decide(w, 3, 1.0, lf0, 12) == 0:
            self.translate(w, s, -e)

    # ------------------------------------------------------------------ measurement
    @ti.func
    def r_measure(self, w):
        if self.physical(w):
            beta = self.pf[0]
            om = self.pf[1]
            nel = self.pi[3]
            nk = 0
            for s in range(nel):
                nk += self.nev[w, s]
            phi = self.phi[w, 0] + self.phi[w, 1] + self.phi[w, 2]
            psi = self.phi[w, 4] + self.phi[w, 5] + self.phi[w, 6]
            r2sum = 0.0
            if nel == 2:
                r2sum, _v = self.walk_pair(w, 1, 0)
            wv = ti.cast(self.D[w, 0], ti.f64)
            if nel == 2:
                wv = 0.5 * ti.cast(self.D[w, 0] + self.D[w, 1], ti.f64)
            self.acc[w, 0] += 1.0
            self.acc[w, 1] += (-nk - 2.0 * phi + om * psi + self.phi[w, 3]) / beta
            self.acc[w, 2] += r2sum / beta
            self.acc[w, 3] += wv.dot(wv)
            self.acc[w, 4] += psi / beta
            self.acc[w, 5] += nk + 2.0 * phi
            self.acc[w, 6] += phi


def default_window(omega: float, beta: float) -> float:
    """Window of the kink-antikink pair: 2/Omega (a hop out of the phonon cloud and back is cheap only
    for times shorter than ~1/Omega), at most beta."""
    return min(2.0 / float(omega), float(beta))


__all__ = ["RetardedEngine", "default_window"]

"""Taichi kernels of the continuous-time path-integral QMC (one Markov chain per loop iteration).

Configuration of one chain (see ``book/qmc.md`` for the derivation)
------------------------------------------------------------------
Each electron s has a worldline on [0, beta) given by its position ``x0[s]`` at
tau = 0 and a time-ordered list of *events*:

* hop kinks (``dirn >= 0``: axis ``dirn // 2``, sign ``+`` for even ``dirn``), either
  *bare* (``kind = 0``, weight t) or *phonon-assisted* (``kind = 1``, weight alpha,
  bond-Peierls only);
* Holstein vertices (``dirn = -1``, ``kind = 1``, weight g).

Every event with ``kind = 1`` is joined by a *phonon line* to exactly one partner
event (``partner = s' * CAP + index``). A line of unfolded length ``l`` carries
``exp(-Omega l)``; it requires equal bonds (bond-Peierls) or sites (Holstein) at its
two ends. Twisted boundary conditions x_s(tau + beta) = x_s(tau) + D_s, with
``D_s`` the sum of the kink displacements, make the sum over D project onto total
momentum K = 0. A line is either direct (0 < l = |tau_a - tau_b| < beta,
``wrap = 0``) or runs through tau = beta (``wrap = 1`` at its earlier end, whose
image at tau + beta sits at bond/site + D, ``wrap = 2`` at the later end,
l = tau_early + beta - tau_late). Lines longer than beta (the images |n| >= 2 of the
thermal propagator) are dropped: a relative error O(exp(-Omega beta)).

Derived per-event data: ``bkey``, an integer key of the bond a hop crosses (``bond_key``),
a function of the event's own ``pos`` and ``dirn`` only. Every update that edits them
updates the key; ``set_state`` recomputes all keys (``k_rekey``), so keys are not part of
the checkpointed state. The link move preselects partner candidates by key, through a hash index of
the keys (``link_index``) built at the start of each link kernel. Derived per-chain data:
the line-free stretches of imaginary time (``free_cache``), rebuilt when stale (after any update
kernel that may move line ends, and after ``set_state``) and kept by the cut moves.

Two electrons: the chain samples an extended ensemble in which the two
displacements may differ, m = D_0 - D_1, with an extra factor
eta^{dist(m, L Z^d)}; only configurations with m = 0 (mod L) are physical and
measured. On a ring this lets the relative coordinate wind around the ring. With
``relative_winding=False`` the factor is eta^{|m|} and only m = 0 is physical: the
sector of zero relative winding (the reference is ``bpcore.ed.winding_sector_thermal``).

Random numbers: a counter-based splitmix64 hash of (seed, chain, counter), one
counter per chain, so that results do not depend on thread scheduling, and a
checkpointed chain continues its stream exactly.
"""


import math

import numpy as np
import taichi as ti

# update types (acceptance statistics index = 2*move + (0 insert-like, 1 remove-like))
MOVES = ("pair", "line", "shift", "swap", "end", "cut2", "translate", "bubble")
OBS = ("count", "energy", "r2", "winding2", "nph", "events", "lines")
N_OBS = len(OBS)
N_ACC = 2 * len(MOVES)
# the updates that keep the phonon-line coverage of imaginary time (they add, remove or move bare kinks
# and positions only), so that the line-free stretches cached by ``free_cache`` stay valid: end, cut2,
# translate. Every other update kernel marks the cache stale.
FREE_KEEPING = (4, 5, 6)
# buckets of the per-chain hash index of bond keys that the link move builds at the start of its kernel
LINK_BUCKET_BITS = 8
LINK_BUCKETS = 1 << LINK_BUCKET_BITS

# the mixing constants of the counter-based generator (splitmix64 finaliser; Weyl increments for chain
# and counter), compile-time constants of the kernels
_M0, _M1, _M2, _M3 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0x9E3779B97F4A7C15, 0xD6E8FEB86659FD93


def seed_key(seed: int) -> np.uint64:
    """64-bit key of a user seed (splitmix64 of the seed)."""
    m = (1 << 64) - 1
    z = (int(seed) * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return np.uint64(z ^ (z >> 31))


# Taichi's CPU backend hands a parallel range-for to its threads in chunks of (at least) 512
# iterations, so a loop over W <= 512 chains runs on one thread. walker_loop spreads the chains over
# several chunks instead: iteration j of a range of R = 512 * n_chunks serves chain
# (j // 512) * PER + j % 512 when j % 512 < PER (the other iterations do nothing). Each chain is still
# updated by exactly one iteration, so the results do not change, only the thread that computes them.
CPU_CHUNK = 512


def walker_loop(W: int, threads: int | None) -> tuple[int, int]:
    """(R, PER): the loop range and chains per chunk; (W, 0) means the plain loop over the W chains
    (GPU, one thread, or enough chains to fill every CPU thread with whole chunks)."""
    if not threads or threads <= 1 or W >= 2 * CPU_CHUNK * threads:
        return W, 0
    per = max(1, -(-W // (4 * threads)))  # about 4 chunks per thread, for load balance
    return CPU_CHUNK * -(-W // per), per


class CapacityError(RuntimeError):
    """A chain needed more events than the configuration arrays hold."""


@ti.data_oriented
class Engine:
    """Fields and kernels for ``W`` independent chains with ``CAP`` events per electron."""

    def __init__(self, W: int, CAP: int, threads: int | None = None):
        self.W, self.CAP = int(W), int(CAP)
        self.R, self.PER = walker_loop(self.W, threads)
        W, C = self.W, self.CAP
        self.tau = ti.field(ti.f64, shape=(W, 2, C))
        self.dirn = ti.field(ti.i32, shape=(W, 2, C))
        self.kind = ti.field(ti.i32, shape=(W, 2, C))
        self.partner = ti.field(ti.i32, shape=(W, 2, C))
        self.wrap = ti.field(ti.i32, shape=(W, 2, C))
        self.pos = ti.Vector.field(3, ti.i32, shape=(W, 2, C))
        self.nev = ti.field(ti.i32, shape=(W, 2))
        self.x0 = ti.Vector.field(3, ti.i32, shape=(W, 2))
        self.D = ti.Vector.field(3, ti.i32, shape=(W, 2))
        self.nlines = ti.field(ti.i32, shape=W)
        # bond key of every event (see ``bond_key``): derived from pos and dirn, kept in step with
        # them by every edit, recomputed by ``k_rekey`` after ``set_state``; not part of the state
        self.bkey = ti.field(ti.i32, shape=(W, 2, C))
        # scratch per chain: the line ends listed by free_cache (electron u from u * C), the events gathered by
        # the link move (gather)
        self.scratch = ti.field(ti.i32, shape=(W, 2 * C))
        # the link move's index of the events by bond key (``link_index``): per hash bucket the first
        # event (electron * C + index, -1 if none) and per event the next one in the same bucket
        self.lhead = ti.field(ti.i32, shape=(W, LINK_BUCKETS))
        self.lnext = ti.field(ti.i32, shape=(W, 2 * C))
        # the line-free stretches of free_scan, kept between calls (``free_cache``): 1 + their number
        # (0: stale), the time each starts at and, per electron, the number of events before it
        self.nfree = ti.field(ti.i32, shape=W)
        self.free_t = ti.field(ti.f64, shape=(W, C + 1))
        self.free_j = ti.field(ti.i32, shape=(W, C + 1, 2))
        self.counter = ti.field(ti.u64, shape=W)
        self.overflow = ti.field(ti.i32, shape=W)
        self.acc = ti.field(ti.f64, shape=(W, N_OBS))
        self.att = ti.field(ti.i64, shape=(W, N_ACC))
        self.ok = ti.field(ti.i64, shape=(W, N_ACC))
        self.key = ti.field(ti.u64, shape=1)  # the seed's key
        # physical / algorithmic parameters (set by configure)
        self.pf = ti.field(ti.f64, shape=16)
        self.pi = ti.field(ti.i32, shape=16)

    # ------------------------------------------------------------------ host side
    STATE = ("tau", "dirn", "kind", "partner", "wrap", "pos", "nev", "x0", "D", "nlines", "counter", "overflow")

    def configure(self, *, model, dim, L, electrons, beta, omega, t, coup, U, V, eta, seed, n_steps, move_probs,
                  cut_width=1.0, r_max=0, relative_winding=True):
        pf = np.zeros(16)
        pf[:8] = [beta, omega, t, coup, U, V, math.log(eta), cut_width]
        cum = np.cumsum(np.asarray(move_probs, float) / np.sum(move_probs))
        pf[8:8 + len(cum)] = cum
        pi = np.zeros(16, np.int32)
        pi[:7] = [0 if model == "bond-peierls" else 1, dim, L, electrons, n_steps, int(r_max or 0),
                  0 if relative_winding else 1]
        self.pf.from_numpy(pf)
        self.pi.from_numpy(pi)
        self.key.from_numpy(np.array([seed_key(seed)], np.uint64))

    def reset(self):
        self._reset()

    def set_r_max(self, r_max: int):
        """Change the wall on the pair's size (unbounded lattice) without touching the chains."""
        pi = self.pi.to_numpy()
        pi[5] = int(r_max)
        self.pi.from_numpy(pi)

    def get_state(self) -> dict:
        return {name: getattr(self, name).to_numpy() for name in self.STATE}

    def set_state(self, st: dict):
        for name in self.STATE:
            arr = st[name]
            f = getattr(self, name)
            if name in ("tau", "dirn", "kind", "partner", "wrap", "pos") and arr.shape[2] != self.CAP:
                full = np.zeros(f.shape + ((3,) if name == "pos" else ()), dtype=arr.dtype)
                full[:, :, : arr.shape[2]] = arr
                arr = full
            f.from_numpy(arr)
        self.k_rekey()

    def run_block(self, n_sweeps: int, measure: int = 1, counts=(1, 1, 1, 1, 1, 0), model: int = 0):
        """``n_sweeps`` sweeps on every chain; a sweep makes ``counts`` attempts per chain of each
        update type in MOVES (one kernel launch per type) and then measures (if ``measure``).
        Each update satisfies detailed balance on its own, so their fixed sequence
        leaves the target distribution invariant."""
        self.k_zero()
        c = [int(x) for x in counts]
        for _ in range(int(n_sweeps)):
            for m, cm in enumerate(c):
                if cm:
                    self.k_move(m, cm, int(model))
            if measure:
                self.k_measure()
        if self.overflow.to_numpy().any():
            raise CapacityError(f"a chain exceeded its capacity of {self.CAP} events per electron")
        return self.acc.to_numpy(), self.att.to_numpy(), self.ok.to_numpy()

    # ------------------------------------------------------------------ kernels
    @ti.kernel
    def _reset(self):
        for j in range(self.R):
            w = self.walker(j)
            if w >= 0:
                for s in range(2):
                    self.nev[w, s] = 0
                    self.x0[w, s] = ti.Vector([0, 0, 0])
                    self.D[w, s] = ti.Vector([0, 0, 0])
                self.nlines[w] = 0
                self.counter[w] = ti.u64(0)
                self.overflow[w] = 0
                self.nfree[w] = 0

    @ti.kernel
    def k_rekey(self):
        for j in range(self.R):
            w = self.walker(j)
            if w >= 0:
                self.nfree[w] = 0  # the line-free stretches are derived data too
                for s in range(2):
                    for i in range(self.nev[w, s]):
                        self.set_key(w, s, i)

    @ti.kernel
    def k_free_cache(self):
        """Rebuild the line-free stretches of every chain (a check of the kept ones, in the tests)."""
        for j in range(self.R):
            w = self.walker(j)
            if w >= 0:
                self.free_cache(w)

    @ti.func
    def walker(self, j):
        """Chain served by loop iteration j (-1: none), see :func:`walker_loop`."""
        w = j
        if ti.static(self.PER > 0):
            r = j % CPU_CHUNK
            w = (j // CPU_CHUNK) * self.PER + r
            if r >= self.PER or w >= self.W:
                w = -1
        return w

    # ------------------------------------------------------------------ RNG
    @ti.func
    def mix(self, z):
        z = (z ^ (z >> ti.u64(30))) * ti.u64(_M0)
        z = (z ^ (z >> ti.u64(27))) * ti.u64(_M1)
        return z ^ (z >> ti.u64(31))

    @ti.func
    def rand(self, w):
        c = self.counter[w]
        self.counter[w] = c + ti.u64(1)
        z = self.mix(self.key[0] ^ self.mix(ti.cast(w, ti.u64) * ti.u64(_M2) + c * ti.u64(_M3) + ti.u64(1)))
        return ti.cast(z >> ti.u64(11), ti.f64) * (1.0 / 9007199254740992.0)

    @ti.func
    def randint(self, w, n):
        r = ti.cast(self.rand(w) * n, ti.i32)
        return ti.min(r, n - 1)

    # ------------------------------------------------------------------ geometry helpers
    @ti.func
    def unit(self, k):
        v = ti.Vector([0, 0, 0])
        a = k // 2
        sgn = 1 - 2 * (k % 2)
        for b in ti.static(range(3)):
            if b == a:
                v[b] = sgn
        return v

    @ti.func
    def same_site(self, p, q):
        L = self.pi[2]
        eq = 1
        for b in ti.static(range(3)):
            diff = p[b] - q[b]
            if L > 0:
                diff = diff % L
            if diff != 0:
                eq = 0
        return eq

    @ti.func
    def min_image(self, r):
        L = self.pi[2]
        out = r
        if L > 0:
            for b in ti.static(range(3)):
                c = r[b] % L
                if 2 * c >= L:
                    c -= L
                out[b] = c
        return out

    @ti.func
    def vint(self, r):
        """Instantaneous interaction energy for relative vector r (U on site, V/|r| otherwise)."""
        rr = self.min_image(r)
        d2 = rr[0] * rr[0] + rr[1] * rr[1] + rr[2] * rr[2]
        e = 0.0
        if d2 == 0:
            e = self.pf[4]
        elif self.pf[5] != 0.0:
            e = self.pf[5] / ti.sqrt(ti.cast(d2, ti.f64))
        rmax = self.pi[5]
        if rmax > 0 and self.pi[2] == 0:
            if ti.max(ti.abs(r[0]), ti.max(ti.abs(r[1]), ti.abs(r[2]))) > rmax:
                e = 1.0e12  # hard wall on the relative coordinate (unbounded lattice)
        return e

    @ti.func
    def pos_before(self, w, s, i):
        p = self.x0[w, s]
        if i > 0:
            p = self.pos[w, s, i - 1]
        return p

    @ti.func
    def n_before(self, w, s, tau, incl):
        """Number of events of electron s at times < tau (``incl`` = 0) or <= tau (``incl`` = 1);
        a binary search, the events being time-ordered."""
        lo = 0
        hi = self.nev[w, s]
        while lo < hi:
            mid = (lo + hi) // 2
            tm = self.tau[w, s, mid]
            if tm < tau or (incl == 1 and tm == tau):
                lo = mid + 1
            else:
                hi = mid
        return lo

    @ti.func
    def pos_at(self, w, s, tau):
        """Position of electron s at time tau in [0, beta)."""
        k = self.n_before(w, s, tau, 0)
        p = self.x0[w, s]
        if k > 0:
            p = self.pos[w, s, k - 1]
        return p

    @ti.func
    def site_key(self, w, s, i):
        """Lower site of the bond of hop event i (or the site of a vertex); axis in component 4."""
        d = self.dirn[w, s, i]
        p = self.pos[w, s, i]
        ax = -1
        if d >= 0:
            ax = d // 2
            if d % 2 == 0:
                p = self.pos_before(w, s, i)
        return p, ax

    @ti.func
    def site_hash(self, q, ax):
        """Key of the bond on axis ``ax`` whose lower site is q: the site reduced mod L on a ring, its
        coordinates mod 512 in 9 bits each, the axis in bits 27-28. Equal bonds have equal keys; the
        converse can fail (coordinates 512 apart), so a key match only preselects: the link move
        checks every preselected kink with the exact test (``line_weights``)."""
        L = self.pi[2]
        key = ax << 27
        for b in ti.static(range(3)):
            c = q[b]
            if L > 0:
                c = c % L
            key |= (c & 511) << (9 * b)
        return key

    @ti.func
    def bond_key(self, p, d):
        """Key of the bond crossed by a hop of direction d that ends at p (-1 for a vertex, d < 0):
        the lower site is p - e_d for d even (a step up the axis) and p for d odd, as in ``site_key``."""
        key = -1
        if d >= 0:
            q = p
            if d % 2 == 0:
                q = p - self.unit(d)
            key = self.site_hash(q, d // 2)
        return key

    @ti.func
    def set_key(self, w, s, i):
        self.bkey[w, s, i] = self.bond_key(self.pos[w, s, i], self.dirn[w, s, i])

    @ti.func
    def winding_period(self):
        """Period L of the relative displacement m = D_0 - D_1 in the extended ensemble: the ring size,
        or 0 (no periodicity: only m = 0 is physical) on the unbounded lattice or when the relative
        winding is frozen (``pi[6] = 1``)."""
        L = self.pi[2]
        if self.pi[6] == 1:
            L = 0
        return L

    @ti.func
    def logf(self, w, dD0, dD1):
        """log of the extended-ensemble factor eta^{dist(D0-D1, L Z^d)} after shifting D by dD
        (eta^{|D0-D1|} when the relative winding is frozen, ``pi[6] = 1``)."""
        L = self.winding_period()
        tot = 0
        for b in ti.static(range(3)):
            m = (self.D[w, 0][b] + dD0[b]) - (self.D[w, 1][b] + dD1[b])
            if L > 0:
                c = m % L
                m = ti.min(c, L - c)
            tot += ti.abs(m)
        return self.pf[6] * tot

    @ti.func
    def physical(self, w):
        """1 when D_0 = D_1 (mod L): a configuration of the physical (K = 0 projected) ensemble.
        With the relative winding frozen (``pi[6] = 1``) only D_0 = D_1 counts: the sector of
        zero relative winding on a ring."""
        ok = 1
        if self.pi[3] == 2:
            L = self.winding_period()
            for b in ti.static(range(3)):
                m = self.D[w, 0][b] - self.D[w, 1][b]
                if L > 0:
                    m = m % L
                if m != 0:
                    ok = 0
        return ok

    @ti.func
    def uv(self, w, s, a, b, p):
        """Integral over [a, b) (0 <= a <= b <= beta) of v(p - x_other(tau)) dtau."""
        res = 0.0
        if self.pi[3] == 2 and (self.pf[4] != 0.0 or self.pf[5] != 0.0 or self.pi[5] > 0) and b > a:
            o = 1 - s
            n = self.nev[w, o]
            # segments of the other worldline: [tau_{i-1}, tau_i) at pos[i-1] (x0 before the first
            # event); start at the first segment that ends after a (binary search) and stop at b.
            # Same terms in the same order as a scan from i = 0 (the skipped ones are empty).
            i = self.n_before(w, o, a, 1)
            q = self.x0[w, o]
            lo = 0.0
            if i > 0:
                q = self.pos[w, o, i - 1]
                lo = self.tau[w, o, i - 1]
            while i <= n and lo < b:
                hi = self.pf[0]
                if i < n:
                    hi = self.tau[w, o, i]
                x = ti.max(lo, a)
                y = ti.min(hi, b)
                if y > x:
                    res += (y - x) * self.vint(p - q)
                if i < n:
                    q = self.pos[w, o, i]
                lo = hi
                i += 1
        return res

    @ti.func
    def duv_unfolded(self, w, s, ta, tb, p_old, p_new):
        """Change of -int v dtau when electron s's position on the unfolded interval [ta, tb)
        (0 <= ta < beta, tb <= ta + beta) changes from p_old to p_new (positions given in
        period 0; beyond beta the images p - D_s are used)."""
        beta = self.pf[0]
        res = 0.0
        if self.pi[3] == 2 and (self.pf[4] != 0.0 or self.pf[5] != 0.0 or self.pi[5] > 0):
            for q in range(4):
                a = ta
                b = ti.min(tb, beta)
                sh = ti.Vector([0, 0, 0])
                if q >= 2:
                    a = ti.max(ta, beta) - beta
                    b = tb - beta
                    sh = self.D[w, s]
                p = p_new
                sgn = -1.0
                if q % 2 == 1:
                    p = p_old
                    sgn = 1.0
                if b > a:
                    res += sgn * self.uv(w, s, a, b, p - sh)
        return res

    # ------------------------------------------------------------------ event list edits
    @ti.func
    def repoint(self, w, s, pp, k, delta, j):
        """The line pointer of an event of electron s that moved to index j when the events from index
        k on moved by delta: returns its new pointer; when its partner did not move, the partner is
        pointed at j instead. A pointer to an event just removed (delta < 0: indices k + delta to
        k - 1) is left dangling, as the caller removes that line."""
        C = self.CAP
        out = pp
        if pp >= 0:
            ps = pp // C
            pidx = pp % C
            if ps == s and pidx >= k:
                out = pp + delta
            elif not (delta < 0 and ps == s and pidx >= k + delta):
                self.partner[w, ps, pidx] = s * C + j
        return out

    @ti.func
    def move_tail(self, w, s, k, delta: ti.template(), e, shift: ti.template()):
        """Move electron s's events from index k on by delta (compile-time, +-1 or +-2) in one pass:
        copy them, repoint their lines (``repoint``) and, with ``shift = 1`` (compile-time), move
        their positions by e (their bond keys follow). For delta < 0 the delta events before k are
        overwritten (removed); for delta > 0 the caller fills the delta slots from k on. Sets nev."""
        n = self.nev[w, s]
        for q in range(n - k):
            i = k + q  # forwards when removing, backwards when inserting: no event is read after it is overwritten
            if ti.static(delta > 0):
                i = n - 1 - q
            j = i + delta
            self.tau[w, s, j] = self.tau[w, s, i]
            self.dirn[w, s, j] = self.dirn[w, s, i]
            self.kind[w, s, j] = self.kind[w, s, i]
            self.wrap[w, s, j] = self.wrap[w, s, i]
            self.partner[w, s, j] = self.repoint(w, s, self.partner[w, s, i], k, delta, j)
            if ti.static(shift):
                self.pos[w, s, j] = self.pos[w, s, i] + e
                self.set_key(w, s, j)
            else:
                self.pos[w, s, j] = self.pos[w, s, i]
                self.bkey[w, s, j] = self.bkey[w, s, i]
        self.nev[w, s] = n + delta

    @ti.func
    def put_event(self, w, s, k, tau, d, kd, p_after):
        """Write a new event without a line at index k (a slot that ``move_tail`` opened)."""
        self.tau[w, s, k] = tau
        self.dirn[w, s, k] = d
        self.kind[w, s, k] = kd
        self.partner[w, s, k] = -1
        self.wrap[w, s, k] = 0
        self.pos[w, s, k] = p_after
        self.set_key(w, s, k)

    @ti.func
    def insert_event(self, w, s, tau, d, kd, p_after):
        """Insert an event at time tau; returns its index. Caller checks capacity."""
        return self.insert_shift(w, s, tau, d, kd, p_after, ti.Vector([0, 0, 0]), 0)

    @ti.func
    def insert_shift(self, w, s, tau, d, kd, p_after, e, shift: ti.template()):
        """Insert an event at time tau; returns its index; with ``shift = 1`` (compile-time) the later
        events' positions move by e as well (their bond keys follow), in the same pass
        (``move_tail``). Caller checks capacity."""
        k = self.n_before(w, s, tau, 0)
        self.move_tail(w, s, k, 1, e, shift)
        self.put_event(w, s, k, tau, d, kd, p_after)
        return k

    @ti.func
    def insert_two(self, w, s, t1, d1, p1, t2, d2, p2):
        """Insert two bare kinks at times t1 < t2 with no event between them (one segment): the
        result of inserting them one after the other, with one pass over the later events."""
        k = self.n_before(w, s, t1, 0)
        self.move_tail(w, s, k, 2, ti.Vector([0, 0, 0]), 0)
        self.put_event(w, s, k, t1, d1, 0, p1)
        self.put_event(w, s, k + 1, t2, d2, 0, p2)

    @ti.func
    def remove_two(self, w, s, k):
        """Remove events k and k + 1 with one pass over the later events."""
        self.move_tail(w, s, k + 2, -2, ti.Vector([0, 0, 0]), 0)

    @ti.func
    def remove_event(self, w, s, k):
        self.remove_shift(w, s, k, ti.Vector([0, 0, 0]), 0)

    @ti.func
    def remove_shift(self, w, s, k, e, shift: ti.template()):
        """Remove event k; with ``shift = 1`` (compile-time) the later events' positions move by e as
        well (their bond keys follow), in the same pass (``move_tail``)."""
        self.move_tail(w, s, k + 1, -1, e, shift)

    @ti.func
    def line_length(self, w, s, i):
        C = self.CAP
        pp = self.partner[w, s, i]
        ps = pp // C
        pidx = pp % C
        ta = self.tau[w, s, i]
        tb = self.tau[w, ps, pidx]
        l = ti.abs(ta - tb)
        if self.wrap[w, s, i] != 0:
            l = self.pf[0] - l
        return l

    # ------------------------------------------------------------------ kernels
    # Update types m = 0..7 in sweep order are those of MOVES; "line" is the link move for bond-Peierls
    # and the vertex-line move for Holstein (run_block's ``model``). One kernel per update type, not one
    # kernel for a whole sweep: with every move inlined into one kernel, LLVM took ~10 minutes to
    # compile it (taichi 1.7.4), and the run time was the same (a chain's events stay in cache across
    # the attempts of one kernel anyway).

    @ti.func
    def do_move(self, w, m: ti.template(), model: ti.template()):
        """Update number m of MOVES on chain w (m and model are resolved at compile time)."""
        if ti.static(m == 0):
            self.move_pair(w)
        if ti.static(m == 1):
            if ti.static(model == 0):
                self.move_link(w)
            else:
                self.move_vertex_line(w)
        if ti.static(m == 2):
            self.move_shift(w)
        if ti.static(m == 3):
            self.move_swap(w)
        if ti.static(m == 4):
            self.move_end(w)
        if ti.static(m == 5):
            self.move_cut2(w)
        if ti.static(m == 6):
            self.move_translate(w)
        if ti.static(m == 7):
            self.move_bubble(w)

    @ti.kernel
    def k_move(self, m: ti.template(), n: ti.i32, model: ti.template()):
        """``n`` attempts of update type m (index in MOVES, a compile-time constant: one compiled
        kernel per update type) on every chain."""
        for j in range(self.R):
            w = self.walker(j)
            if w >= 0:
                if ti.static(m not in FREE_KEEPING):
                    self.nfree[w] = 0  # this update may move, add or remove line ends
                if ti.static(m == 1 and model == 0):
                    self.link_index(w)  # the link move changes no key and no event order
                for _it in range(n):
                    if self.overflow[w] == 0:
                        self.do_move(w, m, model)

    @ti.kernel
    def k_measure(self):
        for j in range(self.R):
            w = self.walker(j)
            if w >= 0:
                if self.overflow[w] == 0:
                    self.measure(w)

    @ti.kernel
    def k_zero(self):
        for j in range(self.R):
            w = self.walker(j)
            if w >= 0:
                for k in range(N_OBS):
                    self.acc[w, k] = 0.0
                for k in range(N_ACC):
                    self.att[w, k] = 0
                    self.ok[w, k] = 0

    # ------------------------------------------------------------------ updates
    @ti.func
    def accept(self, w, ratio, slot):
        self.att[w, slot] += 1
        ok = 0
        if ratio >= 1.0 or self.rand(w) < ratio:
            ok = 1
            self.ok[w, slot] += 1
        return ok

    @ti.func
    def pick_segment(self, w, s, n):
        """A segment of electron s's worldline between consecutive events, chosen uniformly among
        the n (1 if n = 0) segments; the last one runs through tau = beta. Returns (start, end,
        nseg, jj) with jj the event that opens it (-1 if n = 0); times are unfolded (end may exceed beta)."""
        beta = self.pf[0]
        start = 0.0
        end = beta
        nseg = 1
        jj = -1
        if n > 0:
            jj = self.randint(w, n)
            start = self.tau[w, s, jj]
            end = self.tau[w, s, 0] + beta
            if jj < n - 1:
                end = self.tau[w, s, jj + 1]
            nseg = n
        return start, end, nseg, jj

    @ti.func
    def segment_without(self, w, s, i, j, n):
        """Length S and count nseg of the segment that would contain events i, j = i + 1 (mod n) of
        electron s once both are removed (the segment the reverse insertion draws from)."""
        beta = self.pf[0]
        S = beta
        nseg = 1
        if n - 2 > 0:
            nseg = n - 2
            if n - 2 > 1:
                iprev = (i - 1 + n) % n
                jnext = (j + 1) % n
                S = self.tau[w, s, jnext] - self.tau[w, s, iprev]
                if S <= 0.0:
                    S += beta
        return S, nseg

    @ti.func
    def move_pair(self, w):
        """Insert/remove a pair of bare kinks (out and back) inside one segment."""
        beta = self.pf[0]
        t = self.pf[2]
        dim = self.pi[1]
        nel = self.pi[3]
        s = self.randint(w, nel)
        n = self.nev[w, s]
        ins = 0
        if self.rand(w) < 0.5:
            ins = 1
        valid = 0
        ta = 0.0
        tb = 0.0
        z = ti.Vector([0, 0, 0])
        pold = z
        pnew = z
        e = z
        base = 0.0
        k = 0
        i = 0
        j = 0
        if ins == 1:
            if n + 2 > self.CAP:
                self.overflow[w] = 1
            else:
                start, end, nseg, jj = self.pick_segment(w, s, n)
                S = end - start
                p = self.x0[w, s]
                if n > 0:
                    p = self.pos[w, s, jj]
                u1 = self.rand(w) * S
                u2 = self.rand(w) * S
                ta = start + ti.min(u1, u2)
                tb = start + ti.max(u1, u2)
                k = self.randint(w, 2 * dim)
                e = self.unit(k)
                pold = p
                pnew = p + e
                nrev = 1
                if n + 2 > 2:
                    nrev = n + 2
                base = t * t * S * S * (2 * dim) * nseg / (2.0 * nrev)
                if tb > ta:
                    valid = 1
        else:
            if n >= 2:
                if n > 2:
                    i = self.randint(w, n)
                j = (i + 1) % n
                di = self.dirn[w, s, i]
                dj = self.dirn[w, s, j]
                if self.kind[w, s, i] == 0 and self.kind[w, s, j] == 0 and di >= 0 and dj == (di ^ 1):
                    e = self.unit(di)
                    p = self.pos_before(w, s, i)  # position before the out-kink (period 0)
                    ta = self.tau[w, s, i]
                    tb = self.tau[w, s, j]
                    if j < i:
                        tb += beta
                    S, nseg = self.segment_without(w, s, i, j, n)
                    nn = n
                    if n == 2:
                        nn = 1
                    base = (2.0 * nn) / (t * t * S * S * (2 * dim) * nseg)
                    pold = p + e
                    pnew = p
                    valid = 1
        if valid == 1:
            dS = self.duv_unfolded(w, s, ta, tb, pold, pnew)
            if self.accept(w, base * ti.exp(dS), 1 - ins):
                Ds = self.D[w, s]
                if ins == 1:
                    t1 = ta
                    t2 = tb
                    p1 = pnew
                    p2 = pold
                    if tb < beta:
                        pass
                    elif ta >= beta:
                        t1 = ta - beta
                        t2 = tb - beta
                        p1 = pnew - Ds
                        p2 = pold - Ds
                    else:
                        t2 = tb - beta
                        p2 = pold - Ds
                        self.x0[w, s] = self.x0[w, s] + e
                    if t1 < t2:  # both kinks in one segment (the usual case): one pass
                        self.insert_two(w, s, t1, k, p1, t2, k ^ 1, p2)
                    else:  # the pair straddles tau = beta: the kinks go to the two ends of the list
                        self.insert_event(w, s, t1, k, 0, p1)
                        self.insert_event(w, s, t2, k ^ 1, 0, p2)
                else:
                    if j < i:
                        self.x0[w, s] = self.x0[w, s] - e
                        self.remove_event(w, s, i)
                        self.remove_event(w, s, j)
                    else:
                        self.remove_two(w, s, i)

    @ti.func
    def move_bubble(self, w):
        """bond-Peierls: insert or remove a phonon-assisted out-and-back excursion ("bubble") of one
        electron: two consecutive kinks on one bond, both assisted and joined by a direct phonon line
        of length l = tb - ta. It reaches in one step what a bare pair insertion followed by a link
        reaches in two, with the excursion length drawn from Omega exp(-Omega l) instead of uniformly
        (so short excursions, the ones that survive U and the pair binding, are proposed).

        Insert: a segment between consecutive events as in ``move_pair`` (1/nseg), ta uniform in it
        (1/S), l ~ Omega exp(-Omega l), a direction (1/2d); rejected if tb leaves the segment or the
        excursion would straddle tau = beta. Weight alpha^2 exp(-Omega l) exp(dS). Remove: an event i
        chosen uniformly among the n events, accepted only if i and i + 1 (no wrap) form such a
        bubble. Acceptance alpha^2 nseg S 2d exp(dS) / (Omega (n + 2)) (the line factor cancels
        against the proposal), and its inverse for removal with the segment of the remaining events."""
        beta = self.pf[0]
        om = self.pf[1]
        alpha = self.pf[3]
        dim = self.pi[1]
        nel = self.pi[3]
        C = self.CAP
        s = self.randint(w, nel)
        n = self.nev[w, s]
        ins = 0
        if self.rand(w) < 0.5:
            ins = 1
        valid = 0
        ta = 0.0
        tb = 0.0
        k = 0
        i = 0
        z = ti.Vector([0, 0, 0])
        e = z
        p = z
        base = 0.0
        if ins == 1:
            if n + 2 > self.CAP:
                self.overflow[w] = 1
            elif alpha > 0.0:
                start, end, nseg, _jj = self.pick_segment(w, s, n)
                S = end - start
                ta = start + self.rand(w) * S
                l = -ti.log(1.0 - self.rand(w)) / om
                tb = ta + l
                k = self.randint(w, 2 * dim)
                straddle = 0
                if ta < beta and tb >= beta:
                    straddle = 1
                if tb < end and l > 0.0 and straddle == 0:
                    if ta >= beta:
                        ta -= beta
                        tb -= beta
                    e = self.unit(k)
                    p = self.pos_at(w, s, ta)
                    base = alpha * alpha * nseg * S * (2 * dim) / (om * (n + 2))
                    valid = 1
        else:
            if n >= 2:
                i = self.randint(w, n)
                j = i + 1
                if j < n:
                    di = self.dirn[w, s, i]
                    if self.kind[w, s, i] == 1 and self.kind[w, s, j] == 1 and di >= 0 \
                            and self.dirn[w, s, j] == (di ^ 1) and self.partner[w, s, i] == s * C + j \
                            and self.wrap[w, s, i] == 0:
                        ta = self.tau[w, s, i]
                        tb = self.tau[w, s, j]
                        k = di
                        e = self.unit(di)
                        p = self.pos_before(w, s, i)
                        S, nseg = self.segment_without(w, s, i, j, n)
                        base = om * n / (alpha * alpha * nseg * S * (2 * dim))
                        valid = 1
        if valid == 1:
            pold = p
            pnew = p + e
            if ins == 0:
                pold = p + e
                pnew = p
            dS = self.duv_unfolded(w, s, ta, tb, pold, pnew)
            if self.accept(w, base * ti.exp(dS), 15 - ins):
                if ins == 1:
                    ka = self.insert_event(w, s, ta, k, 1, p + e)
                    kb = self.insert_event(w, s, tb, k ^ 1, 1, p)
                    self.set_line(w, s, ka, s, kb, 0)
                else:
                    self.remove_event(w, s, i + 1)
                    self.remove_event(w, s, i)
                    self.nlines[w] -= 1

    @ti.func
    def count_bare(self, w):
        """Bare kinks of a bond-Peierls chain: every event is a kink, and the phonon-assisted ones
        (kind 1) are the 2 nlines ends of the lines. O(1) instead of a scan."""
        return self.nev[w, 0] + self.nev[w, 1] - 2 * self.nlines[w]

    @ti.func
    def line_ok(self, w, sa, ia, sb, ib, wr):
        """Do bonds of kinks (sa,ia), (sb,ib) match for a direct (wr=0) or wrapped (wr=1) line?"""
        pa, axa = self.site_key(w, sa, ia)
        pb, axb = self.site_key(w, sb, ib)
        ok = 0
        if axa == axb:
            sh = ti.Vector([0, 0, 0])
            if wr != 0:
                if self.tau[w, sa, ia] < self.tau[w, sb, ib]:
                    sh = -self.D[w, sa]
                else:
                    sh = self.D[w, sb]
            ok = self.same_site(pa, pb + sh)
        return ok

    @ti.func
    def reservoir_take(self, w, total, weight):
        """Weighted reservoir sampling over a scan: the item of ``weight`` just added to the running
        ``total`` replaces the one chosen so far with probability weight / total (the first always
        does), so the final choice has probability weight / (final total)."""
        return self.rand(w) * total < weight

    @ti.func
    def line_weights(self, w, sa, pa, ta, sc, pc, tc):
        """exp(-Omega l) of the direct (w0) and the wrapped (w1, through tau = beta) line between
        kink (sa, time ta, bond at pa) and a kink of electron sc (time tc, bond at pc) on the same
        axis; 0 where the bonds do not match (same tests as ``line_ok``)."""
        beta = self.pf[0]
        om = self.pf[1]
        dt = ti.abs(ta - tc)
        sh = self.D[w, sc]
        if ta < tc:
            sh = -self.D[w, sa]
        w0 = 0.0
        w1 = 0.0
        if self.same_site(pa, pc):
            w0 = ti.exp(-om * dt)
        if self.same_site(pa, pc + sh):
            w1 = ti.exp(-om * (beta - dt))
        return w0, w1

    @ti.func
    def partner_keys(self, w, s, i):
        """Bond keys a line partner of kink (s, i) can have: its own bond (direct line), and the bond
        seen through tau = beta: shifted by +D_s for a partner later in time, by -D_c for an earlier
        partner on electron c (the shifts of ``line_weights``). Returns (direct, later, earlier on
        electron 0, earlier on electron 1)."""
        p, ax = self.site_key(w, s, i)
        return (self.site_hash(p, ax), self.site_hash(p + self.D[w, s], ax),
                self.site_hash(p - self.D[w, 0], ax), self.site_hash(p - self.D[w, 1], ax))

    @ti.func
    def bucket(self, key):
        """Hash bucket of a bond key (Fibonacci hashing of the 32-bit key)."""
        h = ti.cast(key, ti.u32) * ti.u32(0x9E3779B1)
        return ti.cast(h >> ti.u32(32 - LINK_BUCKET_BITS), ti.i32)

    @ti.func
    def link_index(self, w):
        """Index the events of chain w by bond key: ``lhead`` (per bucket) and ``lnext`` chain the
        events of each bucket in event order (electron 0 by index, then electron 1). Built at the
        start of every link kernel; valid through it, as linking and unlinking change kinds and
        partners only, never keys or the order of events."""
        C = self.CAP
        for b in range(LINK_BUCKETS):
            self.lhead[w, b] = -1
        for q in range(self.pi[3]):
            sc = self.pi[3] - 1 - q
            n = self.nev[w, sc]
            for r in range(n):
                ic = n - 1 - r
                b = self.bucket(self.bkey[w, sc, ic])
                o = sc * C + ic
                self.lnext[w, o] = self.lhead[w, b]
                self.lhead[w, b] = o

    @ti.func
    def key_hit(self, key, sc, k):
        """Does ``key`` (of an event of electron sc) match k = (direct, later, earlier on electron 0,
        earlier on electron 1), the partner keys of a kink (``partner_keys``)?"""
        kb = k[2]
        if sc == 1:
            kb = k[3]
        return (key == k[0]) | (key == k[1]) | (key == kb)

    @ti.func
    def gather(self, w, ka, kb, nk: ti.template()):
        """List in ``scratch``, in event order, the events whose bond key matches ka or kb (partner keys
        of one or two kinks; kb all -2 for none), from the buckets of these keys (``link_index``): a
        merge of the buckets' chains, each in event order. Returns their number. The same events, in
        the same order, as a scan over all events testing every key. ``nk`` (compile-time): 4 when
        kb is unused, else 8."""
        C = self.CAP
        ptr = ti.Vector([-1, -1, -1, -1, -1, -1, -1, -1])
        bk = ti.Vector([-1, -1, -1, -1, -1, -1, -1, -1])
        for j in ti.static(range(nk)):
            key = 0
            if ti.static(j < 4):
                key = ka[j]
            else:
                key = kb[j - 4]
            if key != -2:
                b = self.bucket(key)
                new = 1
                for jj in ti.static(range(j)):
                    if bk[jj] == b:
                        new = 0
                if new == 1:
                    bk[j] = b
                    ptr[j] = self.lhead[w, b]
        n = 0
        going = 1
        while going == 1:
            best = 2 * C
            for j in ti.static(range(nk)):
                if ptr[j] >= 0 and ptr[j] < best:
                    best = ptr[j]
            if best == 2 * C:
                going = 0
            else:
                for j in ti.static(range(nk)):
                    if ptr[j] == best:
                        ptr[j] = self.lnext[w, best]
                sc = best // C
                key = self.bkey[w, sc, best % C]
                hit = self.key_hit(key, sc, ka)
                if ti.static(nk == 8):
                    hit = hit | self.key_hit(key, sc, kb)
                if hit:
                    self.scratch[w, n] = best
                    n += 1
        return n

    @ti.func
    def cand(self, w, sa, ia, sb, ib, pick: ti.template()):
        """za: the sum over kink A's partner candidates (bare kinks on A's bond, direct and through
        tau = beta) of exp(-Omega l); zb: the same for kink B when sb >= 0 (the unlink move needs
        both); with ``pick = 1`` also one of A's candidates (cs, ci, cw: electron, index, wrapped)
        drawn with probability weight / za by weighted reservoir sampling (one random number per
        candidate, so no second pass). Only the events whose bond key matches one of A's (B's)
        partner keys are visited (``gather``), in event order, with the exact test and weights of
        ``line_weights``, so sums and draws are those of a full scan. ``pick`` is a compile-time
        constant: the link (pick = 1, no kink B) and unlink (pick = 0) versions compile without each
        other's work."""
        C = self.CAP
        pa, axa = self.site_key(w, sa, ia)
        ta = self.tau[w, sa, ia]
        ka = ti.Vector(self.partner_keys(w, sa, ia))
        pb = pa
        axb = -2
        tb = 0.0
        kb = ti.Vector([-2, -2, -2, -2])  # no key is -2: nothing matches when there is no kink B
        if sb >= 0:
            pb, axb = self.site_key(w, sb, ib)
            tb = self.tau[w, sb, ib]
            kb = ti.Vector(self.partner_keys(w, sb, ib))
        za = 0.0
        zb = 0.0
        cs = -1
        ci = -1
        cw = 0
        n = 0
        if ti.static(pick == 1):
            n = self.gather(w, ka, kb, 4)
        else:
            n = self.gather(w, ka, kb, 8)
        for k in range(n):
            q = self.scratch[w, k]
            sc = q // C
            ic = q % C
            if self.kind[w, sc, ic] == 0:
                key = self.bkey[w, sc, ic]
                hit_a = self.key_hit(key, sc, ka)
                pc, ax = self.site_key(w, sc, ic)
                tc = self.tau[w, sc, ic]
                if hit_a and ax == axa and (sc != sa or ic != ia):
                    w0, w1 = self.line_weights(w, sa, pa, ta, sc, pc, tc)
                    for x in range(2):
                        wx = w0
                        if x == 1:
                            wx = w1
                        if wx > 0.0:
                            za += wx
                            if ti.static(pick == 1):
                                if self.reservoir_take(w, za, wx):
                                    cs = sc
                                    ci = ic
                                    cw = x
                if ti.static(pick == 0):
                    if self.key_hit(key, sc, kb) and ax == axb and (sc != sb or ic != ib):
                        v0, v1 = self.line_weights(w, sb, pb, tb, sc, pc, tc)
                        zb += v0 + v1
        return za, zb, cs, ci, cw

    @ti.func
    def z_partner(self, w, sb, ib):
        """The sum over kink B's partner candidates of exp(-Omega l), for the link move's partner B
        drawn among kink A's candidates: the direct and the wrapped weight added one after the other,
        over the bare kinks whose key matches one of B's partner keys, in event order (``gather``)."""
        C = self.CAP
        pb, axb = self.site_key(w, sb, ib)
        tb = self.tau[w, sb, ib]
        kb = ti.Vector(self.partner_keys(w, sb, ib))
        zb = 0.0
        for k in range(self.gather(w, kb, kb, 4)):
            q = self.scratch[w, k]
            sc = q // C
            ic = q % C
            if self.kind[w, sc, ic] == 0 and (sc != sb or ic != ib):
                pc, ax = self.site_key(w, sc, ic)
                if ax == axb:
                    v0, v1 = self.line_weights(w, sb, pb, tb, sc, pc, self.tau[w, sc, ic])
                    zb += v0
                    zb += v1
        return zb

    @ti.func
    def pick_event(self, w, want_line):
        """A uniformly drawn bare kink (``want_line = 0``: kind 0, a hop) or line end (``want_line = 1``)
        of the chain, by rejection: events drawn uniformly over both electrons until one qualifies
        (the caller ensures that one exists). Expected cost n_events / n_qualifying draws instead of a
        scan over the events."""
        nt = 0
        for s in range(self.pi[3]):
            nt += self.nev[w, s]
        n0 = self.nev[w, 0]
        rs = 0
        ri = 0
        found = 0
        while found == 0:
            r = self.randint(w, nt)
            s = 0
            i = r
            if r >= n0:
                s = 1
                i = r - n0
            if want_line == 1:
                if self.partner[w, s, i] >= 0:
                    found = 1
            elif self.kind[w, s, i] == 0 and self.dirn[w, s, i] >= 0:
                found = 1
            if found == 1:
                rs = s
                ri = i
        return rs, ri

    @ti.func
    def set_line(self, w, sa, ia, sb, ib, wr):
        C = self.CAP
        self.kind[w, sa, ia] = 1
        self.kind[w, sb, ib] = 1
        self.partner[w, sa, ia] = sb * C + ib
        self.partner[w, sb, ib] = sa * C + ia
        self.wrap[w, sa, ia] = 0
        self.wrap[w, sb, ib] = 0
        if wr != 0:
            if self.tau[w, sa, ia] < self.tau[w, sb, ib]:
                self.wrap[w, sa, ia] = 1
                self.wrap[w, sb, ib] = 2
            else:
                self.wrap[w, sa, ia] = 2
                self.wrap[w, sb, ib] = 1
        self.nlines[w] += 1

    @ti.func
    def move_link(self, w):
        """bond-Peierls: join two bare kinks on one bond by a phonon line, or undo it.

        Link: pick a bare kink A uniformly, a partner B among bare kinks on the same bond
        (direct or through tau = beta) with probability exp(-Omega l)/Z_A; acceptance
        (alpha/t)^2 N_bare / ((N_lines+1)(1/Z_A + 1/Z_B)). Unlink: the inverse."""
        t = self.pf[2]
        a2t2 = (self.pf[3] / t) ** 2
        C = self.CAP
        nl = self.nlines[w]
        ins = 0
        if self.rand(w) < 0.5:
            ins = 1
        valid = 0
        sa = 0
        ia = 0
        sb = 0
        ib = 0
        wr = 0
        nb = 0
        if ins == 1:
            nb = self.count_bare(w)
            if nb >= 2 and a2t2 > 0.0:
                sa, ia = self.pick_event(w, 0)
                valid = 1
        else:
            if nl > 0:
                sa, ia = self.pick_event(w, 1)
                pp = self.partner[w, sa, ia]
                sb = pp // C
                ib = pp % C
                if self.wrap[w, sa, ia] != 0:
                    wr = 1
                self.kind[w, sa, ia] = 0  # evaluate in the unlinked configuration
                self.kind[w, sb, ib] = 0
                nb = self.count_bare(w) + 2  # this line's two ends count as bare
                valid = 2
        if valid == 1:
            # A's partner B drawn in the scan that sums A's candidates; then B's candidates
            za, _zb, sb, ib, wr = self.cand(w, sa, ia, -1, 0, 1)
            if sb >= 0 and za > 0.0:
                zb = self.z_partner(w, sb, ib)
                if zb > 0.0:
                    ratio = a2t2 * nb / ((nl + 1) * (1.0 / za + 1.0 / zb))
                    if self.accept(w, ratio, 2):
                        self.set_line(w, sa, ia, sb, ib, wr)
        elif valid == 2:
            za, zb, _s, _i, _x = self.cand(w, sa, ia, sb, ib, 0)
            ratio = (nl * (1.0 / za + 1.0 / zb)) / (a2t2 * nb)
            if self.accept(w, ratio, 3):
                self.partner[w, sa, ia] = -1
                self.partner[w, sb, ib] = -1
                self.wrap[w, sa, ia] = 0
                self.wrap[w, sb, ib] = 0
                self.nlines[w] = nl - 1
            else:
                self.kind[w, sa, ia] = 1
                self.kind[w, sb, ib] = 1

    @ti.func
    def move_vertex_line(self, w):
        """Holstein: insert/remove a phonon line joining two density vertices.

        Insert: end A uniform in time on a random electron, end B on a random electron at unfolded
        time tau_A + l, l ~ Omega exp(-Omega l)/(1 - exp(-Omega beta)) on (0, beta); allowed when
        both ends sit on the same site; acceptance g^2 n_el^2 beta (1-exp(-Omega beta)) / (Omega (N_lines+1))."""
        beta = self.pf[0]
        om = self.pf[1]
        g = self.pf[3]
        nel = self.pi[3]
        nl = self.nlines[w]
        C = self.CAP
        norm = 1.0 - ti.exp(-om * beta)
        cst = g * g * nel * nel * beta * norm / om
        if self.rand(w) < 0.5:
            sa = self.randint(w, nel)
            ta = self.rand(w) * beta
            sb = self.randint(w, nel)
            l = -ti.log(1.0 - self.rand(w) * norm) / om
            tb = ta + l
            wr = 0
            if tb >= beta:
                tb -= beta
                wr = 1
            need = 1
            if sa == sb:
                need = 2
            if self.nev[w, sa] + need > self.CAP or self.nev[w, sb] + need > self.CAP:
                self.overflow[w] = 1
            elif g > 0.0 and tb != ta:
                pa = self.pos_at(w, sa, ta)
                pb = self.pos_at(w, sb, tb)
                sh = ti.Vector([0, 0, 0])
                if wr == 1:
                    sh = self.D[w, sb]
                if self.same_site(pa, pb + sh):
                    if self.accept(w, cst / (nl + 1), 2):
                        ka = 0
                        kb = 0
                        for q in range(2):
                            sq = sa
                            tq = ta
                            pq = pa
                            if q == 1:
                                sq = sb
                                tq = tb
                                pq = pb
                            kq = self.insert_event(w, sq, tq, -1, 1, pq)
                            if q == 0:
                                ka = kq
                            else:
                                kb = kq
                        if sa == sb and kb <= ka:
                            ka += 1
                        self.set_line(w, sa, ka, sb, kb, wr)
        else:
            if nl > 0:
                sa, ia = self.pick_event(w, 1)
                pp = self.partner[w, sa, ia]
                sb = pp // C
                ib = pp % C
                if self.accept(w, nl / cst, 3):
                    # remove the higher index first when both ends are on one electron
                    s1 = sa
                    i1 = ia
                    s2 = sb
                    i2 = ib
                    if sa == sb and ib > ia:
                        s1 = sb
                        i1 = ib
                        s2 = sa
                        i2 = ia
                    for q in range(2):
                        sq = s1
                        iq = i1
                        if q == 1:
                            sq = s2
                            iq = i2
                        self.remove_event(w, sq, iq)
                    self.nlines[w] = nl - 1

    @ti.func
    def neighbour_times(self, w, s, i):
        """Times of the events before and after event i of electron s (0 and beta at the ends)."""
        lo = 0.0
        hi = self.pf[0]
        if i > 0:
            lo = self.tau[w, s, i - 1]
        if i < self.nev[w, s] - 1:
            hi = self.tau[w, s, i + 1]
        return lo, hi

    @ti.func
    def move_shift(self, w):
        """Move one event in time between its neighbours (never across tau = 0)."""
        beta = self.pf[0]
        om = self.pf[1]
        nel = self.pi[3]
        s = self.randint(w, nel)
        n = self.nev[w, s]
        if n > 0:
            i = self.randint(w, n)
            lo, hi = self.neighbour_times(w, s, i)
            told = self.tau[w, s, i]
            tnew = lo + self.rand(w) * (hi - lo)
            dS = 0.0
            ok = 1
            if self.dirn[w, s, i] >= 0:
                pb = self.pos_before(w, s, i)
                pa = self.pos[w, s, i]
                a = told
                b = tnew
                pold = pa
                pnew = pb
                if tnew < told:
                    a = tnew
                    b = told
                    pold = pb
                    pnew = pa
                dS += self.duv_unfolded(w, s, a, b, pold, pnew)
            pp = self.partner[w, s, i]
            if pp >= 0:
                C = self.CAP
                tp = self.tau[w, pp // C, pp % C]
                wf = self.wrap[w, s, i]
                lold = self.line_length(w, s, i)
                lnew = ti.abs(tnew - tp)
                if wf == 1:
                    lnew = beta - lnew
                    if tnew >= tp:
                        ok = 0
                elif wf == 2:
                    lnew = beta - lnew
                    if tnew <= tp:
                        ok = 0
                dS -= om * (lnew - lold)
            if ok == 1 and tnew > lo and tnew < hi:
                if self.accept(w, ti.exp(dS), 4):
                    self.tau[w, s, i] = tnew

    @ti.func
    def move_swap(self, w):
        """Exchange the directions of two consecutive bare kinks on different axes."""
        nel = self.pi[3]
        s = self.randint(w, nel)
        n = self.nev[w, s]
        if n >= 2:
            i = self.randint(w, n - 1)
            d1 = self.dirn[w, s, i]
            d2 = self.dirn[w, s, i + 1]
            if self.kind[w, s, i] == 0 and self.kind[w, s, i + 1] == 0 and d1 >= 0 and d2 >= 0 \
                    and d1 // 2 != d2 // 2:
                p = self.pos_before(w, s, i)
                pold = self.pos[w, s, i]
                pnew = p + self.unit(d2)
                a = self.tau[w, s, i]
                b = self.tau[w, s, i + 1]
                dS = self.duv_unfolded(w, s, a, b, pold, pnew)
                if self.accept(w, ti.exp(dS), 6):
                    self.dirn[w, s, i] = d2
                    self.dirn[w, s, i + 1] = d1
                    self.pos[w, s, i] = pnew
                    self.set_key(w, s, i)
                    self.set_key(w, s, i + 1)

    @ti.func
    def next_times(self, w, i0, i1):
        """Merged time-ordered walk over both worldlines: the times of the next events of electrons
        0 and 1 (beta when exhausted) and the earlier of the two."""
        beta = self.pf[0]
        nx0 = beta
        nx1 = beta
        if i0 < self.nev[w, 0]:
            nx0 = self.tau[w, 0, i0]
        if i1 < self.nev[w, 1]:
            nx1 = self.tau[w, 1, i1]
        return nx0, nx1, ti.min(nx0, nx1)

    @ti.func
    def merged_next(self, w, i0, i1):
        """The next event of the merged time-ordered walk over both worldlines from pointers (i0, i1):
        its time (beta when both are exhausted), electron and index; at equal times electron 0 first."""
        nx0, nx1, tn = self.next_times(w, i0, i1)
        u = 1
        i = i1
        if i0 < self.nev[w, 0] and nx0 <= nx1:
            u = 0
            i = i0
        return tn, u, i

    @ti.func
    def free_walk(self, w, su, j0, j1, t_start, want_point, want_sel, acc: ti.template()):
        """The merged walk through one line-free stretch of imaginary time: from pointers (j0, j1) at
        time t_start up to the next line end (or beta), adding every piece between consecutive events to
        the free time and counting the bare kinks of electron ``su``, with the reservoir draws of
        ``free_scan``. ``acc`` = [free, piece start, piece length, nF, selected kink] is updated in
        place (a template argument: passed by reference)."""
        beta = self.pf[0]
        i0 = j0
        i1 = j1
        tcur = t_start
        going = 1
        while going == 1:
            tn, u, i = self.merged_next(w, i0, i1)
            seg = tn - tcur
            if seg > 0.0:
                acc[0] += seg
                if want_point == 1:
                    if self.reservoir_take(w, acc[0], seg):
                        acc[1] = tcur
                        acc[2] = seg
            if tn >= beta or self.partner[w, u, i] >= 0:
                going = 0
            else:
                if u == su and self.kind[w, u, i] == 0 and self.dirn[w, u, i] >= 0:
                    acc[3] += 1.0
                    if want_sel == 1:
                        if self.reservoir_take(w, acc[3], 1.0):
                            acc[4] = ti.cast(i, ti.f64)
                if u == 0:
                    i0 += 1
                else:
                    i1 += 1
                tcur = tn

    @ti.func
    def free_cache(self, w):
        """List the line-free stretches of imaginary time in ``free_t``/``free_j`` (``nfree`` = 1 +
        their number): a stretch starts at tau = 0 (when no line runs through tau = beta) or at the
        line end after which no line covers the time, and runs to the next line end (or beta);
        ``free_j`` holds, per electron, the number of its events that the time-ordered merged walk
        has passed there. A direct line covers (tau_early, tau_late); a line through tau = beta
        covers the rest of the circle.

        The coverage changes only at line ends: one scan lists them (``scratch``), and a merged walk
        over the lists follows the coverage. Only the updates that move, add or remove line ends
        change the stretches; the cut moves (bare kinks, positions) only shift the event counts
        (``free_kink_added``/``free_kink_removed``), so the list is rebuilt once per sweep, not at
        every cut attempt (``k_move`` marks it stale for the other updates)."""
        beta = self.pf[0]
        C = self.CAP
        cov = 0
        nl0 = 0
        nl1 = 0
        for u in range(2):
            m = 0
            for i in range(self.nev[w, u]):
                if self.partner[w, u, i] >= 0:
                    self.scratch[w, u * C + m] = i
                    m += 1
                    if self.wrap[w, u, i] == 1:
                        cov += 1
            if u == 0:
                nl0 = m
            else:
                nl1 = m
        nf = 0
        if cov == 0:
            self.free_t[w, 0] = 0.0
            self.free_j[w, 0, 0] = 0
            self.free_j[w, 0, 1] = 0
            nf = 1
        k0 = 0
        k1 = 0
        while k0 < nl0 or k1 < nl1:
            t0 = beta
            t1 = beta
            if k0 < nl0:
                t0 = self.tau[w, 0, self.scratch[w, k0]]
            if k1 < nl1:
                t1 = self.tau[w, 1, self.scratch[w, C + k1]]
            u = 1
            i = 0
            tn = t1
            if k0 < nl0 and t0 <= t1:
                u = 0
                i = self.scratch[w, k0]
                tn = t0
                k0 += 1
            else:
                i = self.scratch[w, C + k1]
                k1 += 1
            wr = self.wrap[w, u, i]
            if wr == 0:
                # the early end of a direct line opens it: is the partner later in the merged order?
                pp = self.partner[w, u, i]
                ps = pp // C
                pidx = pp % C
                later = 0
                if ps == u:
                    later = pidx > i
                else:
                    tp = self.tau[w, ps, pidx]
                    later = tp > tn or (tp == tn and ps == 1)
                if later:
                    cov += 1
                else:
                    cov -= 1
            elif wr == 1:
                cov -= 1
            else:
                cov += 1
            if cov == 0:
                # a stretch starts just after this line end: the other electron's walk has passed its
                # events that come earlier in the merged order (at equal times electron 0 first)
                j0 = i + 1
                j1 = i + 1
                if u == 0:
                    j1 = self.n_before(w, 1, tn, 0)
                else:
                    j0 = self.n_before(w, 0, tn, 1)
                self.free_t[w, nf] = tn
                self.free_j[w, nf, 0] = j0
                self.free_j[w, nf, 1] = j1
                nf += 1
        self.nfree[w] = nf + 1

    @ti.func
    def free_kink_added(self, w, s, k, tc):
        """A bare kink was inserted at index k of electron s, time tc: it counts as passed at the start
        of every cached line-free stretch that the merged walk reaches after it (the counts that
        ``free_cache`` would find now; the stretches themselves do not change)."""
        for c in range(self.nfree[w] - 1):
            j = self.free_j[w, c, s]
            ts = self.free_t[w, c]
            if k < j or (k == j and (tc < ts or (tc == ts and s == 0))):
                self.free_j[w, c, s] = j + 1

    @ti.func
    def free_kink_removed(self, w, s, k):
        """The bare kink at index k of electron s was removed (see ``free_kink_added``)."""
        for c in range(self.nfree[w] - 1):
            if k < self.free_j[w, c, s]:
                self.free_j[w, c, s] -= 1

    @ti.func
    def free_scan(self, w, su, want_point, want_sel):
        """Imaginary time not covered by any phonon line, where a cut (shifting the later path)
        breaks no line. Returns (F, point, nF, sel): the total free length F; with ``want_point = 1``
        a time drawn uniformly from the free time (-1 if F = 0); the number nF of bare kinks of
        electron ``su`` at free times; with ``want_sel = 1`` the index of one of them drawn uniformly
        (-1 if none). Both draws are weighted reservoir samples (a free piece between consecutive
        events of length l replaces the chosen one with probability l / F_so_far, a free kink with
        probability 1 / nF_so_far), so no second pass is needed. Bare kinks do not change the
        coverage, so F is the same before and after a cut move.

        The line-free stretches come from ``free_cache`` (rebuilt when stale); only they are walked
        event by event (``free_walk``). The pieces, kinks and random draws are those of one merged
        walk over all events from tau = 0 to beta, in the same order, so the results are
        bit-identical to it; the cost is the events at free times (a few per cent of beta where
        the lines are dense) plus, once per sweep, the rebuild of the stretches."""
        if self.nfree[w] == 0:
            self.free_cache(w)
        acc = ti.Vector([0.0, 0.0, 0.0, 0.0, -1.0])
        for c in range(self.nfree[w] - 1):
            self.free_walk(w, su, self.free_j[w, c, 0], self.free_j[w, c, 1], self.free_t[w, c], want_point,
                           want_sel, acc)
        free = acc[0]
        nF = ti.cast(acc[3], ti.i32)
        sel = ti.cast(acc[4], ti.i32)
        point = -1.0
        if want_point == 1 and free > 0.0:
            point = acc[1] + self.rand(w) * acc[2]
        return free, point, nF, sel

    @ti.func
    def line_breaks(self, w, u, i, tc0, tc1, act0, act1):
        """Does the line through event (u, i) break when the paths of the electrons with act_s = 1
        are shifted after tc_s (the test of ``cut_ok`` for one line, from either of its ends)?"""
        C = self.CAP
        ue = u
        ie = i
        pp = self.partner[w, u, i]
        if self.wrap[w, u, i] == 2:  # test from the early end of a line through tau = beta
            ue = pp // C
            ie = pp % C
            pp = u * C + i
        ps = pp // C
        pidx = pp % C
        sh_me = 0
        if (ue == 0 and act0 == 1 and self.tau[w, ue, ie] > tc0) or \
                (ue == 1 and act1 == 1 and self.tau[w, ue, ie] > tc1):
            sh_me = 1
        sh_p = 0
        tp = self.tau[w, ps, pidx]
        if (ps == 0 and act0 == 1 and tp > tc0) or (ps == 1 and act1 == 1 and tp > tc1):
            sh_p = 1
        brk = 0
        if self.wrap[w, ue, ie] == 0:
            if sh_me != sh_p:
                brk = 1
        else:  # the early end of a line through tau = beta
            act_me = act0
            if ue == 1:
                act_me = act1
            if sh_p - sh_me != act_me:
                brk = 1
        return brk

    @ti.func
    def cut2_ok(self, w, tc0, tc1):
        """``cut_ok(w, tc0, tc1, 1, 1)`` for a pair cut whose tc0 no phonon line covers (``move_cut2``
        draws tc0 from the line-free time, or removes a kink there). A line end before both cut times
        is shifted on neither electron, one after both on both, exactly as for a common cut at the
        line-free tc0, which breaks no line; so only lines with an end between the two cut times can
        break, and only the events in that window (binary search) are visited."""
        lo = ti.min(tc0, tc1)
        hi = ti.max(tc0, tc1)
        ok = 1
        for u in range(2):
            for i in range(self.n_before(w, u, lo, 0), self.nev[w, u]):
                if ok == 0 or self.tau[w, u, i] > hi:
                    break
                if self.partner[w, u, i] >= 0:
                    if self.line_breaks(w, u, i, tc0, tc1, 1, 1) == 1:
                        ok = 0
        return ok

    @ti.func
    def cut_ok(self, w, tc0, tc1, act0, act1):
        """Can the worldline parts after tc_s of the electrons with act_s = 1 be shifted by e (their
        D_s += e) without breaking a phonon line? Let sh = 1 for a shifted line end. A direct line
        needs equal sh at its ends; a line through tau = beta needs sh_late - sh_early = act of the
        early end's electron (whose D enters the matching condition). Only the lines with an end on a
        shifted electron are tested (``line_breaks``)."""
        ok = 1
        for u in range(self.pi[3]):
            act = act0
            if u == 1:
                act = act1
            # a line without an end on a shifted electron has sh = 0 at both ends and never breaks;
            # every line end on a shifted electron is tested (line_breaks tests from the early end)
            for i in range(self.nev[w, u] * act):
                if ok == 0:
                    break
                if self.partner[w, u, i] >= 0:
                    if self.line_breaks(w, u, i, tc0, tc1, act0, act1) == 1:
                        ok = 0
        return ok

    @ti.func
    def duv_cut(self, w, tc0, tc1, act0, act1, e):
        """Change of -int v dtau when electron s's path after tc_s is shifted by e (for act_s = 1).
        One shifted electron: tc0 = tc1 (the callers' cut time); both: any tc0, tc1.

        The relative coordinate r_0 - r_1 changes by a constant sh on a window and nowhere else: one
        electron shifted, sh = +e (electron 0) or -e (electron 1) from the cut to beta; both, sh =
        +e (tc0 < tc1) or -e between the two cuts. The merged walk over both worldlines covers only
        the window: it starts (binary searches) at the segment that contains the window's start and
        stops at its end, adding (overlap with the window) x (v(r + sh) - v(r)) per segment."""
        beta = self.pf[0]
        res = 0.0
        if self.pi[3] == 2 and (self.pf[4] != 0.0 or self.pf[5] != 0.0 or self.pi[5] > 0):
            n0 = self.nev[w, 0]
            n1 = self.nev[w, 1]
            tstart = tc0
            tstop = beta
            sh = e
            if act0 == 1 and act1 == 1:
                tstart = ti.min(tc0, tc1)
                tstop = ti.max(tc0, tc1)
                if tc1 < tc0:
                    sh = -e
            elif act1 == 1:
                tstart = tc1
                sh = -e
            # the state of the full walk at the segment containing tstart: the events at times <= tstart
            # have been passed, tcur is the latest of them (0 if none)
            i0 = self.n_before(w, 0, tstart, 1)
            i1 = self.n_before(w, 1, tstart, 1)
            p0 = self.pos_before(w, 0, i0)
            p1 = self.pos_before(w, 1, i1)
            tcur = 0.0
            if i0 > 0:
                tcur = ti.max(tcur, self.tau[w, 0, i0 - 1])
            if i1 > 0:
                tcur = ti.max(tcur, self.tau[w, 1, i1 - 1])
            while tcur < tstop:
                nx0, nx1, tn = self.next_times(w, i0, i1)
                lo = ti.max(tcur, tstart)
                hi = ti.min(tn, tstop)
                if hi > lo:
                    r = p0 - p1
                    res -= (hi - lo) * (self.vint(r + sh) - self.vint(r))
                if i0 < n0 and nx0 <= tn:
                    p0 = self.pos[w, 0, i0]
                    i0 += 1
                if i1 < n1 and nx1 <= tn:
                    p1 = self.pos[w, 1, i1]
                    i1 += 1
                tcur = tn
        return res

    @ti.func
    def shift_path(self, w, s, first, e):
        """Shift electron s's events from index ``first`` on by e (their bond keys follow)."""
        for m in range(first, self.nev[w, s]):
            self.pos[w, s, m] = self.pos[w, s, m] + e
            self.set_key(w, s, m)

    @ti.func
    def translate(self, w, s, e):
        """Translate electron s's whole worldline by e."""
        self.x0[w, s] = self.x0[w, s] + e
        self.shift_path(w, s, 0, e)

    @ti.func
    def cut_apply(self, w, s, ins, tc, k, i, e):
        """Insert a kink k at tc (ins = 1) or remove kink i (ins = 0) on s, shifting the later path by e."""
        if ins == 1:
            p = self.pos_at(w, s, tc)
            kk = self.insert_shift(w, s, tc, k, 0, p + e, e, 1)
            self.free_kink_added(w, s, kk, tc)
        else:
            self.remove_shift(w, s, i, e, 1)
            self.free_kink_removed(w, s, i)
        self.D[w, s] = self.D[w, s] + e

    @ti.func
    def move_end(self, w):
        """Insert a bare kink at a random *line-free* time (uniform over the free time F of
        ``free_scan``; a cut inside a phonon line would break it) and shift the rest of the
        worldline (D_s += e), or remove a random bare kink at a line-free time and shift back.
        Acceptance t F 2d/(n+1) exp(dS) (inverse for removal); F is unchanged by the move. Two
        electrons: extended-ensemble factor eta^dist(D_0 - D_1)."""
        beta = self.pf[0]
        t = self.pf[2]
        dim = self.pi[1]
        nel = self.pi[3]
        s = self.randint(w, nel)
        n = self.nev[w, s]
        z = ti.Vector([0, 0, 0])
        ins = 0
        if self.rand(w) < 0.5:
            ins = 1
        valid = 0
        e = z
        k = 0
        tc = 0.0
        base = 0.0
        i = 0
        if ins == 1:
            if n + 1 > self.CAP:
                self.overflow[w] = 1
            else:
                F, tc, nF, _i = self.free_scan(w, s, 1, 0)
                if F > 0.0:
                    k = self.randint(w, 2 * dim)
                    e = self.unit(k)
                    base = t * F * (2 * dim) / (nF + 1)
                    if tc > 0.0:
                        valid = 1
        else:
            if n > 0:
                F, _p, nF, i = self.free_scan(w, s, 0, 1)
                if nF > 0:
                    d = self.dirn[w, s, i]
                    tc = self.tau[w, s, i]
                    e = -self.unit(d)
                    base = nF / (t * F * (2 * dim))
                    valid = 1
        act0 = 0
        act1 = 0
        if s == 0:
            act0 = 1
        else:
            act1 = 1
        if valid == 1:
            if self.cut_ok(w, tc, tc, act0, act1) == 0:
                valid = 0
        if valid == 1:
            dS = self.duv_cut(w, tc, tc, act0, act1, e)
            lf = 0.0
            if nel == 2:
                e0 = z
                e1 = z
                if s == 0:
                    e0 = e
                else:
                    e1 = e
                lf = self.logf(w, e0, e1) - self.logf(w, z, z)
            if self.accept(w, base * ti.exp(dS + lf), 9 - ins):
                self.cut_apply(w, s, ins, tc, k, i, e)

    @ti.func
    def near_start(self, w, tref, width):
        """An index of electron 1's events at or before the first one with |tau - tref| < width
        (a binary search with a margin; the exact test is applied by the callers' scan)."""
        return self.n_before(w, 1, tref - 2.0 * width, 0)

    @ti.func
    def count_near(self, w, tref, d, width, rsel):
        """Bare kinks of electron 1 with direction d within |tau - tref| < width (a scan over the
        time window only: tau - tref grows with the index): their number and the index of the
        ``rsel``-th of them (-1 if none; with ``rsel >= 0`` the scan stops there, the count is then partial)."""
        c = 0
        sel = -1
        for j in range(self.near_start(w, tref, width), self.nev[w, 1]):
            if self.tau[w, 1, j] - tref >= width or sel >= 0:
                break
            if self.kind[w, 1, j] == 0 and self.dirn[w, 1, j] == d and ti.abs(self.tau[w, 1, j] - tref) < width:
                if c == rsel:
                    sel = j
                c += 1
        return c, sel

    @ti.func
    def move_cut2(self, w):
        """Two electrons: insert kinks with the same direction e on both electrons at times tc0 and
        tc1 = tc0 + delta (|delta| < width, both in (0, beta)) and shift both later paths by e, so
        that D_0 and D_1 change together (the pair's centre moves; the relative coordinate changes
        only between tc0 and tc1). Reverse: a bare kink i of electron 0 (uniform) and, uniformly, a
        bare kink of electron 1 with the same direction within the window. tc0 is drawn uniformly
        from the line-free time F (``free_scan``; the removal accepts only kinks there), which
        makes the pair's centre move also when phonon lines cover most of [0, beta). Acceptance
        t^2 exp(dS) F (2 width) 2d / (n_0' N_c') for insertion (primes: after it)."""
        beta = self.pf[0]
        t = self.pf[2]
        dim = self.pi[1]
        width = self.pf[7]
        ins = 0
        if self.rand(w) < 0.5:
            ins = 1
        valid = 0
        e = ti.Vector([0, 0, 0])
        k = 0
        tc0 = 0.0
        tc1 = 0.0
        i0 = 0
        i1 = 0
        F = 0.0
        nF = 0
        n0 = self.nev[w, 0]
        if ins == 1:
            if n0 + 1 > self.CAP or self.nev[w, 1] + 1 > self.CAP:
                self.overflow[w] = 1
            else:
                F, tc0, nF, _i = self.free_scan(w, 0, 1, 0)
                if F > 0.0:
                    tc1 = tc0 + (2.0 * self.rand(w) - 1.0) * width
                    k = self.randint(w, 2 * dim)
                    e = self.unit(k)
                    if tc0 > 0.0 and tc1 > 0.0 and tc1 < beta:
                        valid = 1
        else:
            if n0 > 0 and self.nev[w, 1] > 0:
                F, _p, nF, i0 = self.free_scan(w, 0, 0, 1)
                if nF > 0:
                    d = self.dirn[w, 0, i0]
                    tc0 = self.tau[w, 0, i0]
                    nc, _s = self.count_near(w, tc0, d, width, -1)
                    if nc > 0:
                        _c, i1 = self.count_near(w, tc0, d, width, self.randint(w, nc))
                        tc1 = self.tau[w, 1, i1]
                        e = -self.unit(d)
                        k = d
                        valid = 1
        if valid == 1:
            if self.cut2_ok(w, tc0, tc1) == 0:
                valid = 0
        if valid == 1:
            dS = self.duv_cut(w, tc0, tc1, 1, 1, e)
            if ins == 1:
                nc_new, _s = self.count_near(w, tc0, k, width, -1)
                nc_new += 1
                ratio = t * t * ti.exp(dS) * F * 2.0 * width * (2 * dim) / ((nF + 1) * nc_new)
                if self.accept(w, ratio, 10):
                    self.cut_apply(w, 0, 1, tc0, k, 0, e)
                    self.cut_apply(w, 1, 1, tc1, k, 0, e)
            else:
                nc, _s = self.count_near(w, tc0, k, width, -1)
                ratio = (nF * nc) / (t * t * F * 2.0 * width * (2 * dim)) * ti.exp(dS)
                if self.accept(w, ratio, 11):
                    self.cut_apply(w, 0, 0, tc0, k, i0, e)
                    self.cut_apply(w, 1, 0, tc1, k, i1, e)

    @ti.func
    def move_translate(self, w):
        """Two electrons: translate the whole worldline of one electron by a lattice vector e
        (symmetric proposal); allowed when no phonon line joins the two electrons. This relaxes
        the relative coordinate of an unbound pair, which local moves change only slowly."""
        dim = self.pi[1]
        C = self.CAP
        s = self.randint(w, 2)
        k = self.randint(w, 2 * dim)
        e = self.unit(k)
        inter = 0
        for i in range(self.nev[w, s]):
            pp = self.partner[w, s, i]
            if pp >= 0 and pp // C != s:
                inter = 1
                break
        if inter == 0:
            act0 = 0
            act1 = 0
            if s == 0:
                act0 = 1
            else:
                act1 = 1
            dS = self.duv_cut(w, 0.0, 0.0, act0, act1, e)
            if self.accept(w, ti.exp(dS), 12):
                self.translate(w, s, e)

    # ------------------------------------------------------------------ measurement
    @ti.func
    def walk_pair(self, w, want_r2: ti.template(), want_v: ti.template()):
        """One time-ordered walk over both worldlines: (int_0^beta |r_0 - r_1|^2 dtau (minimum image;
        if ``want_r2``), int_0^beta v(r_0 - r_1) dtau (if ``want_v``)). Two electrons."""
        beta = self.pf[0]
        r2sum = 0.0
        vsum = 0.0
        n0 = self.nev[w, 0]
        n1 = self.nev[w, 1]
        i0 = 0
        i1 = 0
        p0 = self.x0[w, 0]
        p1 = self.x0[w, 1]
        tcur = 0.0
        while tcur < beta:
            nx0, nx1, tn = self.next_times(w, i0, i1)
            dt = tn - tcur
            if dt > 0.0:
                if ti.static(want_r2):
                    r = self.min_image(p0 - p1)
                    r2sum += dt * ti.cast(r[0] * r[0] + r[1] * r[1] + r[2] * r[2], ti.f64)
                if ti.static(want_v):
                    vsum += dt * self.vint(p0 - p1)
            if i0 < n0 and nx0 <= tn:
                p0 = self.pos[w, 0, i0]
                i0 += 1
            if i1 < n1 and nx1 <= tn:
                p1 = self.pos[w, 1, i1]
                i1 += 1
            tcur = tn  # after the last events next_times gives beta: the last step closes the walk
        return r2sum, vsum

    @ti.func
    def measure(self, w):
        if self.physical(w):
            beta = self.pf[0]
            om = self.pf[1]
            nel = self.pi[3]
            nev = 0
            lsum = 0.0
            for s in range(nel):
                nev += self.nev[w, s]
                for i in range(self.nev[w, s]):
                    if self.partner[w, s, i] >= 0:
                        lsum += 0.5 * self.line_length(w, s, i)
            vsum = 0.0
            r2sum = 0.0
            if nel == 2:
                r2sum, vsum = self.walk_pair(w, 1, 1)
            wv = ti.cast(self.D[w, 0], ti.f64)
            if nel == 2:
                wv = 0.5 * ti.cast(self.D[w, 0] + self.D[w, 1], ti.f64)
            w2 = wv.dot(wv)
            self.acc[w, 0] += 1.0
            self.acc[w, 1] += (-nev + om * lsum + vsum) / beta
            self.acc[w, 2] += r2sum / beta
            self.acc[w, 3] += w2
            self.acc[w, 4] += lsum / beta
            self.acc[w, 5] += ti.cast(nev, ti.f64)
            self.acc[w, 6] += ti.cast(self.nlines[w], ti.f64)

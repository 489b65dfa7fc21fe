#!/usr/bin/env python3
"""ref_sim.py -- an independent 50-digit event-driven reference simulator for exactlif.

    python3 ref_sim.py MODEL.toml --out DIR

Written from SPEC.md section 1 alone (it shares no code and no algorithm with the Rust engine).
It reads a subset of the model-file TOML: IF_curr_exp, IF_curr_alpha and IF_curr_delta
populations (SPEC sections 1 and 8) with scalar or per-cell-list parameters and initial values; SpikeSourceArray; DCSource and StepCurrentSource; AllToAll,
OneToOne and FromList connectors with scalar weights and delays (no random values at all).
It writes spikes.csv, v.csv, isyn_exc.csv, isyn_inh.csv (those recorded) and info.json in the
SPEC section 4 layout; every number is the repr of the double nearest to the 50-digit value.

Semantics (SPEC section 1, with the tie rules of the acceptance brief):

* IF_curr_alpha (NEST iaf_psc_alpha): each receptor carries I(tau) = (I0 + A tau) e^{-tau/tau_syn},
  A = dI/dt + I/tau_syn; an input of weight w adds w e/tau_syn to dI/dt (so to A).  Its part of
  v is (I0 K1 + A K2)/cm with K1 = int e^{-(tau-s)/tau_m} e^{-s/tau_syn} ds and
  K2 = int e^{-(tau-s)/tau_m} s e^{-s/tau_syn} ds, written below as exponential-polynomial terms
  (t and t^2 e^{-t/tau_m} at tau_syn == tau_m; coefficients 1/d and 1/d^2 otherwise, d =
  1/tau_syn - 1/tau_m: at tau_syn = tau_m (1 + 1e-9) they cancel from ~1e20, leaving ~30 of the
  50 digits).  While refractory v is held and the currents evolve and receive input.
* IF_curr_delta (NEST iaf_psc_delta_ps): an input of weight w moves v by w mV; inputs at equal
  times are all applied before the threshold test (deliveries at one time are applied together,
  then the cell is searched: a v >= v_thresh fires at that time); inputs that arrive while
  refractory (t_s <= t < t_s + tau_refrac) are discarded, and one at exactly t_s + tau_refrac is
  applied (the refractory end comes first at equal times).
* Between events every cell evolves by the closed form.  Over a free segment starting at t0 the
  membrane potential is an *exponential polynomial* in tau = t - t0:

      v(tau) = sum_j p_j(tau) exp(-lambda_j tau)

  with lambda in {0, 1/tau_m, 1/tau_syn_E, 1/tau_syn_I} (equal rates merged exactly; when
  tau_syn_X == tau_m the term is tau*exp(-tau/tau_m), so p_j has degree <= 1).
* Spike at the FIRST time v >= v_thresh.  The search cannot miss a graze: see
  `sign_changes` below.  v is reset to v_reset and clamped for tau_refrac (refractory end at the
  exact 50-digit time t_s + tau_refrac); currents keep decaying and receiving input meanwhile.
* A SpikeSourceArray spike s is delivered at fl(s + delay) (SPEC: "the f64 sum"); a cell spike
  at the exact time t_s at t_s + delay exactly (or fl(fl(t_s) + delay) with --arrival f64; see
  ARRIVAL below -- the choice never matters in the generated cases).
* Events at equal times: threshold crossings first, then current switches (and refractory
  ends), then synaptic deliveries; the sample at t_k = k*timestep is taken after every event at
  exactly t_k (right-continuous).  Spikes at t <= duration are written.

Why the crossing search is guaranteed (no missed graze)
-------------------------------------------------------
Let f be an exponential polynomial with N = sum_j (deg p_j + 1).  g = exp(lambda_0 tau) f has the
same zeros as f, and g' is an exponential polynomial with N - 1 (the j = 0 polynomial loses one
degree; other terms keep their degree, with shifted rates).  By induction (generalised Rolle /
Descartes), g' changes sign at most N - 2 times; we find those points recursively.  Between two
consecutive sign changes of g', g is monotone, so f changes sign at most once there, and that
root is bracketed by a sign change of f at the piece ends and is located by a safeguarded
regula falsi (Illinois, with bisection fallback) to 1e-40 ms.  Applied to f = v', this gives all
points where v' changes sign (the local extrema of v) on [0, L].  v is monotone between
consecutive points of {0, extrema, L}, so the first crossing of v_thresh is in the first piece
whose right end has v >= v_thresh, and nowhere before it; v is evaluated at the 50-digit
location of each extremum (error ~1e-40 ms in time, i.e. ~1e-80 mV in v), so a peak 1e-9 mV
above threshold is found and one 1e-9 mV below is not.  Exact zeros at piece ends are kept as
extra split points (extra points are harmless: each piece stays monotone).
The nearly-equal case tau_syn = tau_m (1 + 1e-9) is written with coefficients ~1e9 that cancel;
at 50 digits ~41 significant digits remain, far more than the 1e-9 tolerance needs.
"""
import argparse
import heapq
import json
import math
import os
import sys
import tomllib

import mpmath
from mpmath import mp, mpf

mp.dps = 50

ZERO = mpf(0)
INF = mpf("inf")
ROOT_TOL = mpf("1e-40")  # ms

IF_DEFAULTS = {
    "cm": 1.0, "tau_m": 20.0, "tau_syn_E": 5.0, "tau_syn_I": 5.0, "tau_refrac": 0.1,
    "v_rest": -65.0, "v_reset": -65.0, "v_thresh": -50.0, "i_offset": 0.0,
}
INIT_DEFAULTS = {"v": -65.0, "isyn_exc": 0.0, "isyn_inh": 0.0}
# per cell type: (parameter defaults, initial-value defaults), PyNN's (SPEC section 8)
CELL_TYPES = {
    "IF_curr_exp": (IF_DEFAULTS, INIT_DEFAULTS),
    "IF_curr_alpha": (dict(IF_DEFAULTS, tau_syn_E=0.5, tau_syn_I=0.5), INIT_DEFAULTS),
    "IF_curr_delta": ({k: v for k, v in IF_DEFAULTS.items() if not k.startswith("tau_syn")},
                      {"v": -65.0}),
}

# event kinds, in the order they are applied at equal times (crossings come before all of them)
K_SWITCH, K_REFR_END, K_DELIVERY = 1, 2, 3


# --------------------------------------------------------------------------------------------
# exponential polynomials: list of (lam, [c0, c1, ...]) meaning sum (sum_k c_k tau^k) e^{-lam tau}
# --------------------------------------------------------------------------------------------

def ep_clean(terms):
    out = []
    for lam, cs in terms:
        cs = list(cs)
        while cs and cs[-1] == 0:
            cs.pop()
        if cs:
            out.append((lam, cs))
    return out


def ep_eval(terms, tau):
    s = ZERO
    for lam, cs in terms:
        p = ZERO
        for c in reversed(cs):
            p = p * tau + c
        s += p if lam == 0 else p * mp.exp(-lam * tau)
    return s


def ep_deriv(terms):
    """Plain derivative d/dtau."""
    out = []
    for lam, cs in terms:
        dp = [k * cs[k] for k in range(1, len(cs))] + [ZERO]
        out.append((lam, [dp[k] - lam * cs[k] for k in range(len(cs))]))
    return ep_clean(out)


def ep_rolle(terms):
    """d/dtau of exp(lam_0 tau) * f: same sign changes as g' in the proof above."""
    lam0 = terms[0][0]
    shifted = [(lam - lam0, cs) for lam, cs in terms]
    return ep_deriv(shifted)


def sgn(x):
    return (x > 0) - (x < 0)


def find_root(f, a, b, fa, fb):
    """Root of a continuous f with sgn(fa) = -sgn(fb) != 0 on [a, b] (a single sign change).
    Returns (lo, hi) with f(lo), f(hi) of the signs of fa, fb (or lo == hi an exact zero)."""
    side = 0
    width = b - a
    force_bisect = False
    it = 0
    while b - a > ROOT_TOL:
        it += 1
        if it > 2000:
            raise RuntimeError("root finding did not converge")
        if force_bisect:
            c = (a + b) / 2
        else:
            c = b - fb * (b - a) / (fb - fa)
            if not (a < c < b):
                c = (a + b) / 2
        fc = f(c)
        if fc == 0:
            return c, c
        if sgn(fc) == sgn(fb):
            b, fb = c, fc
            if side == -1:
                fa /= 2
            side = -1
        else:
            a, fa = c, fc
            if side == 1:
                fb /= 2
            side = 1
        force_bisect = (b - a) > width / 2
        width = b - a
    return a, b


def sign_changes(terms, L):
    """Sorted points in (0, L) where f changes sign (plus any exact interior zero at a split
    point).  Rigorous isolation by the recursion described in the module docstring."""
    terms = ep_clean(terms)
    if not terms:
        return []
    if len(terms) == 1 and len(terms[0][1]) == 1:
        return []  # c e^{-lam tau}: never zero
    crit = sign_changes(ep_rolle(terms), L)
    pts = [ZERO] + crit + [L]
    vals = [ep_eval(terms, p) for p in pts]
    out = []
    for i in range(len(pts) - 1):
        a, b, fa, fb = pts[i], pts[i + 1], vals[i], vals[i + 1]
        if i > 0 and fa == 0:
            out.append(a)
        if fa != 0 and fb != 0 and sgn(fa) != sgn(fb):
            lo, hi = find_root(lambda t: ep_eval(terms, t), a, b, fa, fb)
            out.append((lo + hi) / 2)
    return out


def extrema(terms, L):
    """Points of {0, sign changes of v', L}: v is monotone between consecutive ones."""
    return [ZERO] + sign_changes(ep_deriv(terms), L) + [L]


def first_crossing(terms, level, L):
    """First tau in [0, L] with v(tau) >= level, or None."""
    pts = extrema(terms, L)
    prev_p, prev_v = None, None
    for p in pts:
        val = ep_eval(terms, p) - level
        if val >= 0:
            if prev_p is None:
                return p
            g = lambda t: ep_eval(terms, t) - level
            lo, hi = find_root(g, prev_p, p, prev_v, val)
            return hi
        prev_p, prev_v = p, val
    return None


def level_crossings(terms, level, L):
    """All tau in (0, L) where v crosses `level` (used by the case generator)."""
    t = [(lam, list(cs)) for lam, cs in terms]
    for i, (lam, cs) in enumerate(t):
        if lam == 0:
            cs[0] -= level
            break
    else:
        t.append((ZERO, [-mpf(level)]))
    return sign_changes(t, L)


# --------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------

class ModelError(Exception):
    pass


class TooManySpikes(Exception):
    pass


def per_cell(value, size, what):
    if isinstance(value, dict):
        raise ModelError(f"{what}: random distributions are not supported by ref_sim")
    if isinstance(value, list):
        if len(value) != size:
            raise ModelError(f"{what}: list of length {len(value)} for {size} cells")
        return [float(x) for x in value]
    return [float(value)] * size


def f64_add(a, b):
    """The double sum of two doubles (Python floats are IEEE doubles, round to nearest)."""
    return float(a) + float(b)


# How a spike travelling through a delay d arrives.  A SpikeSourceArray spike at the double s
# arrives at fl(s + d), the double sum (SPEC: "the f64 sum").  A cell spike at the exact
# (50-digit) time t_s arrives at
#   "exact": t_s + d exactly (default) -- with this, ref_sim reproduces all four public cases in
#            shared/reference/expected bit for bit, so the independent reference does the same;
#   "f64":   fl(fl(t_s) + d), the f64 sum of the rounded spike time and the delay.
# The two differ by <= 1 ulp; `Sim.ambiguities()` lists every arrival whose order relative to a
# sample time or another event of its cell depends on that choice (the generated cases have none).
ARRIVAL = "exact"


class Cell:
    __slots__ = ("kind", "ae0", "ai0", "pop", "idx", "cm", "tm", "te", "ti", "trefr", "vrest", "vreset", "vth",
                 "ioff", "amps", "t0", "v0", "ie0", "ii0", "refr_until", "cross", "dirty",
                 "terms", "out", "segments")


class Sim:
    def __init__(self, model, probe=False, arrival=None, max_spikes=None):
        self.model = model
        self.max_spikes = max_spikes
        self.probe = probe
        self.arrival = arrival or ARRIVAL
        self.uncertain = []  # (lo, hi, target cell, seq): arrivals where the conventions differ
        sim = model["simulation"]
        self.dt = float(sim["timestep"])
        self.duration = float(sim["duration"])
        self.min_delay = float(sim.get("min_delay", self.dt))
        self.nsamples = int(round(self.duration / self.dt)) + 1
        self.t_end = max(mpf(self.duration), mpf((self.nsamples - 1) * self.dt))
        self.pops = []  # dicts: label, size, type, record, cells (Cell or None), src_times
        self.by_label = {}
        self.heap = []
        self.seq = 0
        self.spikes = []  # (t mpf, pop index, neuron)
        self.records = {}  # var -> list of rows
        for pi, p in enumerate(model.get("populations", [])):
            self._add_population(pi, p)
        self.projections = []
        for pr in model.get("projections", []):
            self._add_projection(pr)
        for cs in model.get("current_sources", []):
            self._add_current_source(cs)

    # ---- construction
    def _add_population(self, pi, p):
        label, size, ctype = p["label"], int(p["size"]), p.get("cell_type", "IF_curr_exp")
        params = dict(p.get("parameters", {}))
        init = dict(p.get("initial_values", {}))
        rec = list(p.get("record", []))
        pop = {"label": label, "size": size, "type": ctype, "record": rec, "index": pi,
               "cells": [], "src_times": None, "src_out": [[] for _ in range(size)]}
        if ctype in CELL_TYPES:
            defaults, init_defaults = CELL_TYPES[ctype]
            for k in params:
                if k not in defaults:
                    raise ModelError(f"population {label}: unknown parameter {k}")
            for k in init:
                if k not in init_defaults:
                    raise ModelError(f"population {label}: unknown initial value {k}")
            pv = {k: per_cell(params.get(k, d), size, f"{label}.{k}") for k, d in defaults.items()}
            iv = {k: per_cell(init.get(k, d), size, f"{label}.{k}")
                  for k, d in INIT_DEFAULTS.items()}
            for i in range(size):
                c = Cell()
                c.kind = {"IF_curr_exp": "exp", "IF_curr_alpha": "alpha",
                          "IF_curr_delta": "delta"}[ctype]
                c.pop, c.idx = pi, i
                c.cm, c.tm = mpf(pv["cm"][i]), mpf(pv["tau_m"][i])
                # (a delta cell has no synaptic time constants nor currents; 1 is a placeholder)
                c.te = mpf(pv["tau_syn_E"][i]) if "tau_syn_E" in pv else mpf(1)
                c.ti = mpf(pv["tau_syn_I"][i]) if "tau_syn_I" in pv else mpf(1)
                c.trefr = mpf(pv["tau_refrac"][i])
                c.vrest, c.vreset = mpf(pv["v_rest"][i]), mpf(pv["v_reset"][i])
                c.vth, c.ioff = mpf(pv["v_thresh"][i]), mpf(pv["i_offset"][i])
                c.amps = {}
                c.t0 = ZERO
                c.v0 = mpf(iv["v"][i])
                c.ie0, c.ii0 = mpf(iv["isyn_exc"][i]), mpf(iv["isyn_inh"][i])
                # alpha: A = dI/dt + I/tau_syn, with dI/dt = 0 initially
                c.ae0, c.ai0 = c.ie0 / c.te, c.ii0 / c.ti
                c.refr_until = None
                c.cross = None
                c.dirty = True
                c.terms = None
                c.out = []
                c.segments = []
                pop["cells"].append(c)
        elif ctype == "SpikeSourceArray":
            st = params.get("spike_times", [])
            if st and all(isinstance(x, list) for x in st):
                if len(st) != size:
                    raise ModelError(f"{label}.spike_times: {len(st)} lists for {size} cells")
                pop["src_times"] = [[float(x) for x in l] for l in st]
            else:
                pop["src_times"] = [[float(x) for x in st] for _ in range(size)]
        else:
            raise ModelError(f"population {label}: cell type {ctype} not supported by ref_sim")
        self.pops.append(pop)
        self.by_label[label] = pop

    def _add_projection(self, pr):
        pre, post = self.by_label[pr["presynaptic"]], self.by_label[pr["postsynaptic"]]
        if post["type"] not in CELL_TYPES:
            raise ModelError("postsynaptic population must be a cell population")
        rt = pr.get("receptor_type", "excitatory")
        if rt not in ("excitatory", "inhibitory"):
            raise ModelError(f"receptor_type {rt}")
        conn = pr["connector"]
        syn = pr.get("synapse", {})
        w0 = syn.get("weight", 0.0)
        d0 = syn.get("delay", self.min_delay)
        if isinstance(w0, (dict, list)) or isinstance(d0, (dict, list)):
            raise ModelError("only scalar weights and delays are supported by ref_sim")
        ct = conn["type"]
        pairs = []
        if ct == "AllToAllConnector":
            allow = conn.get("allow_self_connections", True)
            for i in range(pre["size"]):
                for j in range(post["size"]):
                    if pre is post and i == j and not allow:
                        continue
                    pairs.append((i, j, w0, d0))
        elif ct == "OneToOneConnector":
            if pre["size"] != post["size"]:
                raise ModelError("OneToOneConnector: sizes differ")
            pairs = [(i, i, w0, d0) for i in range(pre["size"])]
        elif ct == "FromListConnector":
            for e in conn["conn_list"]:
                if len(e) == 2:
                    pairs.append((int(e[0]), int(e[1]), w0, d0))
                elif len(e) == 4:
                    pairs.append((int(e[0]), int(e[1]), e[2], e[3]))
                else:
                    raise ModelError("conn_list entries must have 2 or 4 items")
        else:
            raise ModelError(f"connector {ct} not supported by ref_sim")
        for i, j, w, d in pairs:
            w, d = float(w), float(d)
            if d < self.min_delay:
                raise ModelError(f"delay {d} < min_delay {self.min_delay}")
            if rt == "excitatory" and w < 0 or rt == "inhibitory" and w > 0:
                raise ModelError(f"weight {w} has the wrong sign for {rt}")
            syn_t = (post["cells"][j], rt == "excitatory", mpf(w), d)
            if pre["type"] in CELL_TYPES:
                pre["cells"][i].out.append(syn_t)
            else:
                pre["src_out"][i].append(syn_t)

    def _add_current_source(self, cs):
        pop = self.by_label[cs["inject_into"]]
        cells = cs.get("cells", list(range(pop["size"])))
        sid = self.seq
        self.seq += 1
        ty = cs["type"]
        if ty == "DCSource":
            amp = float(cs.get("amplitude", 1.0))
            start = float(cs.get("start", 0.0))
            stop = cs.get("stop", None)
            sw = [(start, amp)]
            if stop is not None:
                sw.append((float(stop), 0.0))
        elif ty == "StepCurrentSource":
            sw = [(float(t), float(a)) for t, a in zip(cs["times"], cs["amplitudes"])]
        else:
            raise ModelError(f"current source {ty} not supported by ref_sim")
        for t, a in sw:
            for i in cells:
                self.push(mpf(t), K_SWITCH, (pop["cells"][i], sid, mpf(a)))

    def deliver(self, ts, target, exc, w, d, source=False):
        """Queue the arrival of a spike emitted at exact time ts through delay d (see ARRIVAL)."""
        a64 = mpf(f64_add(float(ts), d))
        aex = a64 if source else ts + mpf(d)
        seq = self.push(a64 if self.arrival == "f64" else aex, K_DELIVERY, (target, exc, w))
        if a64 != aex and seq is not None:
            self.uncertain.append((min(a64, aex), max(a64, aex), target, seq))

    def push(self, t, kind, payload):
        if t > self.t_end:
            return None
        self.seq += 1
        heapq.heappush(self.heap, (t, kind, self.seq, payload))
        return self.seq

    # ---- single-cell closed form
    def v_terms(self, c):
        """v(tau) on the current free segment of c as an exponential polynomial."""
        iext = c.ioff + sum(c.amps.values(), ZERO)
        vinf = c.vrest + iext * c.tm / c.cm
        by_tau = {}

        def add(tau, cs):
            cur = by_tau.setdefault(tau, [ZERO, ZERO, ZERO])
            for k, x in enumerate(cs):
                cur[k] += x
        add(c.tm, [c.v0 - vinf])
        if c.kind == "exp":
            for I, tx in ((c.ie0, c.te), (c.ii0, c.ti)):
                if I == 0:
                    continue
                a = I / c.cm
                if tx == c.tm:
                    add(c.tm, [ZERO, a])
                else:
                    d = 1 / tx - 1 / c.tm
                    add(c.tm, [a / d])
                    add(tx, [-a / d])
        elif c.kind == "alpha":
            # (I0 K1 + A K2)/cm with, for d = 1/tx - 1/tm != 0,
            #   K1 = (e^{-t/tm} - e^{-t/tx})/d,  K2 = (e^{-t/tm} - e^{-t/tx} - d t e^{-t/tx})/d^2
            # and K1 = t e^{-t/tm}, K2 = t^2/2 e^{-t/tm} at tx == tm
            for I, A, tx in ((c.ie0, c.ae0, c.te), (c.ii0, c.ai0, c.ti)):
                if I == 0 and A == 0:
                    continue
                i, a = I / c.cm, A / c.cm
                if tx == c.tm:
                    add(c.tm, [ZERO, i, a / 2])
                else:
                    d = 1 / tx - 1 / c.tm
                    add(c.tm, [i / d + a / d ** 2])
                    add(tx, [-i / d - a / d ** 2, -a / d])
        terms = [(ZERO, [vinf])] + [(1 / tau, cs) for tau, cs in by_tau.items()]
        return ep_clean(terms)

    def currents_at(self, c, t):
        """(I_E, I_I, A_E, A_I) at t: exp: I e^{-tau/tx}; alpha: (I0 + A tau) e^{-tau/tx} and
        A e^{-tau/tx}; delta: none."""
        tau = t - c.t0
        if c.kind == "delta":
            return ZERO, ZERO, ZERO, ZERO
        ee, ei = mp.exp(-tau / c.te), mp.exp(-tau / c.ti)
        if c.kind == "exp":
            return c.ie0 * ee, c.ii0 * ei, ZERO, ZERO
        return (c.ie0 + c.ae0 * tau) * ee, (c.ii0 + c.ai0 * tau) * ei, c.ae0 * ee, c.ai0 * ei

    def state_at(self, c, t):
        tau = t - c.t0
        ie, ii, _, _ = self.currents_at(c, t)
        if c.refr_until is not None:
            v = c.vreset
        else:
            if c.terms is None:
                c.terms = self.v_terms(c)
            v = ep_eval(c.terms, tau)
        return v, ie, ii

    def advance(self, c, t):
        """Move c's reference time to t (t >= c.t0), keeping its trajectory."""
        if t == c.t0:
            return
        v, ie, ii = self.state_at(c, t)
        _, _, ae, ai = self.currents_at(c, t)
        if self.probe and c.refr_until is None:
            c.segments.append((c.t0, t, c.terms))
        c.t0, c.v0, c.ie0, c.ii0, c.ae0, c.ai0 = t, v, ie, ii, ae, ai
        c.terms = None
        c.dirty = True

    def search(self, c):
        if c.refr_until is not None:
            return None
        if c.terms is None:
            c.terms = self.v_terms(c)
        tau = first_crossing(c.terms, c.vth, self.t_end - c.t0)
        return None if tau is None else c.t0 + tau

    # ---- events
    def fire(self, c, t):
        self.advance(c, t)
        self.spikes.append((t, c.pop, c.idx))
        if self.max_spikes is not None and len(self.spikes) > self.max_spikes:
            raise TooManySpikes(f"more than {self.max_spikes} spikes by t = {float(t)}")
        c.v0 = c.vreset
        c.terms = None
        c.dirty = True
        if c.trefr > 0:
            c.refr_until = t + c.trefr
            self.push(c.refr_until, K_REFR_END, c)
        for target, exc, w, d in c.out:
            self.deliver(t, target, exc, w, d)

    def apply(self, t, kind, payload):
        if kind == K_SWITCH:
            c, sid, a = payload
            self.advance(c, t)
            c.amps[sid] = a
        elif kind == K_REFR_END:
            c = payload
            self.advance(c, t)
            c.refr_until = None
            c.v0 = c.vreset
        else:
            c, exc, w = payload
            self.advance(c, t)
            if c.kind == "delta":
                if c.refr_until is None:  # discarded while refractory
                    c.v0 += w
            elif c.kind == "alpha":
                if exc:
                    c.ae0 += w * mp.e / c.te
                else:
                    c.ai0 += w * mp.e / c.ti
            elif exc:
                c.ie0 += w
            else:
                c.ii0 += w
        c.terms = None
        c.dirty = True

    def sample(self, k, t):
        tf = k * self.dt
        for pop in self.pops:
            if pop["type"] not in CELL_TYPES:
                continue
            for c in pop["cells"]:
                v, ie, ii = self.state_at(c, t)
                for var, x in (("v", v), ("isyn_exc", ie), ("isyn_inh", ii)):
                    if var in pop["record"]:
                        self.records.setdefault(var, {}).setdefault((pop["index"], c.idx), []).append((tf, x))

    def run(self):
        cells = [c for p in self.pops if p["type"] in CELL_TYPES for c in p["cells"]]
        for pop in self.pops:
            if pop["type"] != "SpikeSourceArray":
                continue
            for i, times in enumerate(pop["src_times"]):
                for s in times:
                    if s < 0 or mpf(s) > self.t_end:
                        continue
                    self.spikes.append((mpf(s), pop["index"], i))
                    for target, exc, w, d in pop["src_out"][i]:
                        self.deliver(mpf(s), target, exc, w, d, source=True)
        k = 0
        while True:
            for c in cells:
                if c.dirty:
                    c.cross = self.search(c)
                    c.dirty = False
            tc = min((c.cross for c in cells if c.cross is not None), default=INF)
            tq = self.heap[0][0] if self.heap else INF
            ts = mpf(k * self.dt) if k < self.nsamples else INF
            t = min(tc, tq, ts)
            if t == INF:
                break
            if tc == t:
                for c in cells:
                    if c.cross is not None and c.cross == t:
                        c.cross = None
                        self.fire(c, t)
                continue
            if tq == t:
                while self.heap and self.heap[0][0] == t:
                    tt, kind, _, payload = heapq.heappop(self.heap)
                    self.apply(tt, kind, payload)
                continue
            self.sample(k, t)
            k += 1
        if self.probe:
            for c in cells:
                if c.refr_until is None and self.t_end > c.t0:
                    if c.terms is None:
                        c.terms = self.v_terms(c)
                    c.segments.append((c.t0, self.t_end, c.terms))
        return self

    def ambiguities(self):
        """Cell-spike arrivals whose order relative to a sample time or to a spike of the target
        cell differs between the "f64" and "exact" conventions (the only orderings that change
        a result: deliveries, switches and refractory ends commute with each other).  Empty for
        a well-posed case."""
        import bisect
        samples = [mpf(k * self.dt) for k in range(self.nsamples)]
        spikes = {}
        for t, p, i in self.spikes:
            spikes.setdefault((p, i), []).append(t)
        bad = []
        for lo, hi, c, seq in self.uncertain:
            # a sample in [lo, hi) sees the input under one convention and not the other
            i = bisect.bisect_left(samples, lo)
            if i < len(samples) and samples[i] < hi:
                bad.append((float(lo), float(hi), "sample", float(samples[i])))
            # An IF_curr_delta cell that an input lifts to threshold fires at the arrival time
            # itself, under either convention: not an ambiguity of order (write_case runs the
            # other convention and requires the same spikes to 1e-12 ms, which catches a drift
            # spike and an arrival that change order).
            if c.kind == "delta":
                continue
            for t in spikes.get((c.pop, c.idx), []):
                if lo <= t <= hi:
                    bad.append((float(lo), float(hi), "spike", float(t)))
        return bad

    # ---- output
    def write(self, out):
        os.makedirs(out, exist_ok=True)
        dur = mpf(self.duration)
        rows = sorted((float(t), p, i) for t, p, i in self.spikes
                      if t <= dur and "spikes" in self.pops[p]["record"])
        with open(os.path.join(out, "spikes.csv"), "w") as fh:
            fh.write("population,neuron,time_ms\n")
            for t, p, i in rows:
                fh.write(f"{self.pops[p]['label']},{i},{t!r}\n")
        for var in ("v", "isyn_exc", "isyn_inh"):
            if var not in self.records:
                continue
            with open(os.path.join(out, f"{var}.csv"), "w") as fh:
                fh.write(f"population,neuron,time_ms,{var}\n")
                for (p, i), samples in sorted(self.records[var].items()):
                    lab = self.pops[p]["label"]
                    for tf, x in samples:
                        fh.write(f"{lab},{i},{tf!r},{float(x)!r}\n")
        counts = {}
        for p in self.pops:
            counts[p["label"]] = sum(1 for t, pi, _ in self.spikes if pi == p["index"] and t <= dur)
        with open(os.path.join(out, "info.json"), "w") as fh:
            json.dump({"generator": "tests/reference/ref_sim.py (mpmath, 50 digits)",
                       "spike_counts": counts}, fh, indent=1)
            fh.write("\n")

    def spike_list(self):
        """[(label, neuron, exact time)] of every spike (recorded or not), by time."""
        return [(self.pops[p]["label"], i, t) for t, p, i in sorted(self.spikes)]


def load(path):
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--out", required=True)
    ap.add_argument("--arrival", choices=["f64", "exact"], default=ARRIVAL,
                    help="arrival of a cell spike: exact t_s + d (default) or fl(fl(t_s) + d)")
    a = ap.parse_args(argv)
    sim = Sim(load(a.model), arrival=a.arrival).run()
    sim.write(a.out)
    amb = sim.ambiguities()
    for x in amb[:10]:
        print(f"warning: arrival in [{x[0]!r}, {x[1]!r}] is ordered differently by the f64 and "
              f"exact conventions relative to {x[2]} {x[3]!r}", file=sys.stderr)
    print(f"{a.model}: {len(sim.spikes)} spikes -> {a.out}")


if __name__ == "__main__":
    main()

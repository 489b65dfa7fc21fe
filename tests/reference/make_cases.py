#!/usr/bin/env python3
"""make_cases.py -- write the hard reference scenarios and their 50-digit expected results.

    python3 tests/reference/make_cases.py [--only NAME ...] [--no-random]

For every case it writes tests/reference/cases/<name>/model.toml, reads that file back (so the
expected results are those of the f64 numbers actually in the file), simulates it with
ref_sim.py and writes tests/reference/cases/<name>/expected/{spikes,v,isyn_exc,isyn_inh}.csv.
Thresholds of the graze / excursion cases are derived at 50 digits from the trajectory itself
(closed form or ref_sim's extremum search) and written with repr, i.e. to the last bit.
Every case is checked to be well posed: no arrival whose order relative to a sample or a spike
depends on how t_s + delay is rounded (ref_sim.Sim.ambiguities), plus case-specific assertions
(spike counts, crossing on the second flank, ...).  A diagnostics table is printed (smallest
|v - v_thresh| at a local maximum that does not spike, smallest slope v' at a crossing).
"""
import argparse
import json
import math
import os
import random
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ref_sim  # noqa: E402
from ref_sim import mp, mpf, ep_eval, ep_deriv, extrema, level_crossings  # noqa: E402

CASES_DIR = os.path.join(HERE, "cases")
ALL_VARS = ["v", "isyn_exc", "isyn_inh", "spikes"]


# --------------------------------------------------------------------------------------------
# TOML writing
# --------------------------------------------------------------------------------------------

def tv(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        assert math.isfinite(x)
        return repr(x)
    if isinstance(x, str):
        return json.dumps(x)
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(tv(e) for e in x) + "]"
    if isinstance(x, dict):
        return "{ " + ", ".join(f"{k} = {tv(v)}" for k, v in x.items()) + " }"
    raise TypeError(x)


def to_toml(model, comment):
    out = [f"# {line}".rstrip() for line in comment.strip().splitlines()]
    out.append("[simulation]")
    for k, v in model["simulation"].items():
        out.append(f"{k} = {tv(v)}")
    for p in model.get("populations", []):
        out += ["", "[[populations]]"]
        for k in ("label", "size", "cell_type", "record"):
            if k in p:
                out.append(f"{k} = {tv(p[k])}")
        for sub in ("parameters", "initial_values"):
            if p.get(sub):
                out.append(f"[populations.{sub}]")
                for k, v in p[sub].items():
                    out.append(f"{k} = {tv(v)}")
    for pr in model.get("projections", []):
        out += ["", "[[projections]]"]
        for k, v in pr.items():
            out.append(f"{k} = {tv(v)}")
    for cs in model.get("current_sources", []):
        out += ["", "[[current_sources]]"]
        for k, v in cs.items():
            out.append(f"{k} = {tv(v)}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# model building helpers
# --------------------------------------------------------------------------------------------

def model(duration, timestep=0.1, **extra):
    return {"simulation": {"timestep": timestep, "duration": duration, **extra},
            "populations": [], "projections": [], "current_sources": []}


def ssa(m, label, times, record=("spikes",)):
    per_cell = bool(times) and isinstance(times[0], list)
    m["populations"].append({"label": label, "size": len(times) if per_cell else 1,
                             "cell_type": "SpikeSourceArray", "record": list(record),
                             "parameters": {"spike_times": times}})


def cells(m, label, size, params, init=None, record=ALL_VARS):
    p = {"label": label, "size": size, "cell_type": "IF_curr_exp", "record": list(record),
         "parameters": dict(params)}
    if init:
        p["initial_values"] = dict(init)
    m["populations"].append(p)
    return p


def fromlist(m, pre, post, rt, conn_list):
    m["projections"].append({"presynaptic": pre, "postsynaptic": post, "receptor_type": rt,
                             "connector": {"type": "FromListConnector", "conn_list": conn_list}})


def alltoall(m, pre, post, rt, w, d, allow_self=None):
    conn = {"type": "AllToAllConnector"}
    if allow_self is not None:
        conn["allow_self_connections"] = allow_self
    m["projections"].append({"presynaptic": pre, "postsynaptic": post, "receptor_type": rt,
                             "connector": conn,
                             "synapse": {"type": "StaticSynapse", "weight": w, "delay": d}})


def onetoone(m, pre, post, rt, w, d):
    m["projections"].append({"presynaptic": pre, "postsynaptic": post, "receptor_type": rt,
                             "connector": {"type": "OneToOneConnector"},
                             "synapse": {"type": "StaticSynapse", "weight": w, "delay": d}})


def with_thresh(m, label, thresholds):
    """A copy of m with population `label`'s v_thresh replaced (list or scalar)."""
    m2 = json.loads(json.dumps(m))
    for p in m2["populations"]:
        if p["label"] == label:
            p["parameters"]["v_thresh"] = thresholds
    return m2


def probe(m):
    """Run m with segment logging; returns the Sim."""
    return ref_sim.Sim(json.loads(json.dumps(m)), probe=True).run()


def cell_of(sim, label, i):
    return sim.by_label[label]["cells"][i]


def local_maxima(sim, label, i, t_lo=None, t_hi=None):
    """[(t, v)] of the interior local maxima of v of cell (label, i) (50 digits)."""
    c = cell_of(sim, label, i)
    out = []
    for t0, t1, terms in c.segments:
        L = t1 - t0
        d2 = ep_deriv(ep_deriv(terms))
        for p in extrema(terms, L)[1:-1]:
            t = t0 + p
            if (t_lo is not None and t < t_lo) or (t_hi is not None and t > t_hi):
                continue
            if ep_eval(d2, p) < 0:
                out.append((t, ep_eval(terms, p)))
    return out


def segment_at(sim, label, i, t):
    c = cell_of(sim, label, i)
    for t0, t1, terms in c.segments:
        if t0 <= t <= t1:
            return t0, t1, terms
    raise ValueError("no free segment at that time")


HIGH = 1.0e6  # a threshold nothing reaches, for probing trajectories


# --------------------------------------------------------------------------------------------
# the hand-designed cases
# --------------------------------------------------------------------------------------------

def graze(sign):
    """Single PSPs whose peak is exactly 1e-9 mV above (sign=-1: threshold = peak - 1e-9, must
    spike) or below (sign=+1: threshold = peak + 1e-9, must not spike) the threshold, for three
    parameter sets; the peaks are off the grid."""
    m = model(30.0)
    ssa(m, "src", [2.0])
    params = {"tau_m": [20.0, 10.0, 15.0], "tau_syn_E": [5.0, 2.0, 3.0], "cm": [1.0, 0.5, 1.0],
              "i_offset": [0.0, 0.0, 0.4], "v_thresh": HIGH}
    cells(m, "cell", 3, params, init={"v": [-65.0, -65.0, -59.0]})
    fromlist(m, "src", "cell", "excitatory", [[0, 0, 4.7, 1.0], [0, 1, 1.9, 1.234],
                                              [0, 2, 3.3, 0.777]])
    sim = probe(m)
    th = []
    for i in range(3):
        (t, v), = local_maxima(sim, "cell", i)
        th.append(float(v + sign * mpf("1e-9")))
        if i == 0:  # cross-check the extremum search against the closed-form peak
            tm, te, w = mpf(20.0), mpf(5.0), mpf(4.7)
            tau = mp.log(tm / te) / (1 / te - 1 / tm)
            peak = -65 + w * (mp.exp(-tau / tm) - mp.exp(-tau / te)) / (1 / te - 1 / tm)
            assert abs(peak - v) < mpf("1e-40") and abs(t - 3 - tau) < mpf("1e-30"), (peak, v)
    m = with_thresh(m, "cell", th)
    n = 3 if sign < 0 else 0
    word = "above" if sign < 0 else "below"
    desc = f"""PSP peaks grazing the threshold: v_thresh = peak {'-' if sign < 0 else '+'} 1e-9 mV (peak
computed at 50 digits), so every cell {'must spike once, near its peak' if sign < 0 else 'must NOT spike'}.
Cell 0: closed-form PSP from rest; cell 1: cm = 0.5, tau_syn_E = 2; cell 2: on a DC plateau."""
    return f"graze_{word}", desc, m, lambda s: expect_counts(s, {"cell": n})


def graze_slow():
    """+-1e-9 mV grazes of slow, flat PSP peaks (|v''| down to 0.0025 mV/ms^2): the crossing
    slope is only ~2e-6 mV/ms, so 1e-9 ms needs v - v_thresh to ~2e-15 mV near the crossing,
    below the f64 resolution of v itself (ulp(52.5) = 7.1e-15)."""
    m = model(200.0)
    ssa(m, "src", [2.0])
    params = {"tau_m": [100.0, 100.0, 30.0, 50.0], "tau_syn_E": [50.0, 50.0, 30.0, 20.0],
              "cm": [2.0, 2.0, 1.0, 1.0], "v_thresh": HIGH}
    cells(m, "cell", 4, params)
    fromlist(m, "src", "cell", "excitatory",
             [[0, 0, 1.0, 1.0], [0, 1, 1.0, 1.0], [0, 2, 1.0, 1.0], [0, 3, 0.7, 1.0]])
    sim = probe(m)
    th, curv = [], []
    for i in range(4):
        (t, v), = local_maxima(sim, "cell", i)
        t0, _, terms = segment_at(sim, "cell", i, t)
        curv.append(float(ep_eval(ep_deriv(ep_deriv(terms)), t - t0)))
        th.append(float(v + (1 if i == 1 else -1) * mpf("1e-9")))
    m = with_thresh(m, "cell", th)
    desc = f"""Grazes of slow, flat PSP peaks (threshold = peak -+ 1e-9 mV).
Cell 0: tau_m 100, tau_syn_E 50, cm 2, v'' = {curv[0]:.3g} mV/ms^2 at the peak -> one spike.
Cell 1: the same, threshold 1e-9 mV ABOVE the peak -> no spike.
Cell 2: tau_syn_E == tau_m = 30 (v'' = {curv[2]:.3g}) -> one spike.
Cell 3: tau_m 50, tau_syn_E 20 (v'' = {curv[3]:.3g}) -> one spike.
The crossing slope is sqrt(2e-9 |v''|) ~ 2e-6 .. 5e-6 mV/ms: a spike time good to 1e-9 ms needs
v - v_thresh near the crossing to ~2e-15 mV, i.e. better than f64 evaluation of v."""
    return "graze_slow", desc, m, lambda s: expect_counts(s, {"cell": [1, 0, 1, 1]})


def graze_second_hump():
    """Excitation, inhibition, stronger excitation: the trajectory has two local maxima in two
    free segments; the second (higher) one, with v0, isyn_exc and isyn_inh all non-zero at the
    start of its segment, grazes the threshold by +1e-9 mV (cells 0, 2: spike) or -1e-9 mV
    (cells 1, 3: no spike).  Cells 2, 3 have tau_syn_I == tau_m and a DC offset."""
    m = model(40.0)
    ssa(m, "exc_in", [2.0])
    ssa(m, "inh_in", [8.0])
    ssa(m, "exc2_in", [10.0])
    params = {"tau_m": [10.0, 10.0, 12.0, 12.0], "tau_syn_E": [2.0, 2.0, 1.5, 1.5],
              "tau_syn_I": [5.0, 5.0, 12.0, 12.0], "i_offset": [0.0, 0.0, 0.25, 0.25],
              "v_thresh": HIGH}
    cells(m, "cell", 4, params)
    alltoall(m, "exc_in", "cell", "excitatory", 3.0, 1.0)
    alltoall(m, "inh_in", "cell", "inhibitory", -1.0, 1.0)
    alltoall(m, "exc2_in", "cell", "excitatory", 5.0, 1.0)
    sim = probe(m)
    th = []
    for i in range(4):
        (ta, va), (tb, vb) = local_maxima(sim, "cell", i)
        assert vb > va + 1 and tb > 11, (i, ta, va, tb, vb)
        th.append(float(vb + (-1 if i % 2 == 0 else 1) * mpf("1e-9")))
    m = with_thresh(m, "cell", th)
    desc = """Two humps in two free segments (excitation at 3 and 11 -- weights 3 and 5 --,
inhibition at 9): the second hump, which starts with v, isyn_exc and isyn_inh all non-zero,
grazes the threshold by +1e-9 mV (cells 0, 2: one spike) or -1e-9 mV (cells 1, 3: none).
Cells 2, 3: tau_syn_I == tau_m = 12, tau_syn_E = 1.5 and i_offset = 0.25."""
    return "graze_second_hump", desc, m, lambda s: expect_counts(s, {"cell": [1, 0, 1, 0]})


def excursion():
    """Fast excitation then stronger, slower inhibition: v rises above threshold for a very short
    time, entirely between two grid points (10.5 and 10.6)."""
    m = model(40.0)
    ssa(m, "fast_exc", [10.0])
    ssa(m, "slow_inh", [10.0])
    cells(m, "cell", 3, {"tau_m": 10.0, "tau_syn_E": 0.3, "tau_syn_I": 6.0, "v_thresh": HIGH})
    alltoall(m, "fast_exc", "cell", "excitatory", 8.0, 0.462)
    alltoall(m, "slow_inh", "cell", "inhibitory", -6.0, 0.492)
    sim = probe(m)
    (tp, vp), = local_maxima(sim, "cell", 0)
    assert mpf(10.5) < tp < mpf(10.6), tp
    t0, t1, terms = segment_at(sim, "cell", 0, tp)

    def window(delta):
        xs = level_crossings(terms, vp - delta, t1 - t0)
        xs = [t0 + x for x in xs]
        a = max((x for x in xs if x < tp), default=t0)  # (the segment starts at 10.492)
        b = min((x for x in xs if x > tp), default=t1)
        return a, b

    # choose delta so that the excursion lasts 0.03 ms (bisection on delta)
    lo, hi = mpf("1e-12"), mpf(1)
    for _ in range(200):
        mid = (lo + hi) / 2
        a, b = window(mid)
        if b - a > mpf("0.03"):
            hi = mid
        else:
            lo = mid
    a, b = window(lo)
    assert mpf(10.5) < a < b < mpf(10.6) and b - a < mpf("0.05"), (a, b)
    assert a > t0  # the excursion starts inside the free segment after the inhibition
    a2, b2 = window(mpf("1e-6"))
    th = [float(vp - lo), float(vp - mpf("1e-6")), float(vp + mpf("1e-6"))]
    m = with_thresh(m, "cell", th)
    desc = f"""Fast excitation (tau_syn_E = 0.3, arrives 10.462) then stronger slower inhibition
(tau_syn_I = 6, arrives 10.492): v peaks at t = {float(tp)!r} mV = {float(vp)!r}.
Cell 0: threshold 0.03 ms wide excursion [{float(a)!r}, {float(b)!r}] inside (10.5, 10.6) -> spike.
Cell 1: threshold 1e-6 mV below the peak, excursion of {float(b2 - a2):.3g} ms -> spike.
Cell 2: threshold 1e-6 mV above the peak -> no spike."""
    return "excursion_short", desc, m, lambda s: expect_counts(s, {"cell": [1, 1, 0]})


def tau_equal():
    m = model(80.0)
    ssa(m, "exc_in", [5.0, 20.0, 21.5, 40.0, 41.0, 41.7])
    ssa(m, "inh_in", [22.0, 39.5])
    ssa(m, "single", [3.0])
    params = {"tau_m": [10.0, 12.5, 8.0, 8.0], "tau_syn_E": [10.0, 12.5, 8.0, 8.0],
              "tau_syn_I": [5.0, 12.5, 5.0, 5.0], "v_thresh": [-55.0, -56.0, HIGH, HIGH],
              "tau_refrac": [2.0, 1.0, 0.1, 0.1]}
    cells(m, "cell", 4, params)
    fromlist(m, "exc_in", "cell", "excitatory", [[0, 0, 1.9, 1.1], [0, 1, 1.6, 0.65]])
    fromlist(m, "inh_in", "cell", "inhibitory", [[0, 0, -0.7, 1.3], [0, 1, -1.1, 2.05]])
    fromlist(m, "single", "cell", "excitatory", [[0, 2, 2.2, 1.01], [0, 3, 2.2, 1.01]])
    sim = probe(m)
    th = list(params["v_thresh"])
    (t2, v2), = local_maxima(sim, "cell", 2)
    # closed form: tau_syn == tau_m => peak (w/cm) tau_m/e at tau = tau_m after the arrival
    peak = -65 + mpf(2.2) * mpf(8.0) / mp.e
    assert abs(peak - v2) < mpf("1e-40") and abs(t2 - mpf(4.01) - 8) < mpf("1e-30")
    th[2] = float(v2 - mpf("1e-9"))
    th[3] = float(v2 + mpf("1e-9"))
    m = with_thresh(m, "cell", th)
    desc = """tau_syn == tau_m exactly (K(t) = t e^{-t/tau_m}).
Cell 0: tau_syn_E = tau_m = 10, a train of excitatory inputs with some inhibition.
Cell 1: tau_syn_E = tau_syn_I = tau_m = 12.5, mixed input.
Cells 2, 3: tau_syn_E = tau_m = 8, one PSP grazing the threshold by +1e-9 mV (spikes) and
-1e-9 mV (does not)."""
    return "tau_equal", desc, m, lambda s: expect_counts(s, {"cell": [None, None, 1, 0]})


def tau_near():
    m = model(80.0)
    ssa(m, "exc_in", [5.0, 20.0, 21.5, 40.0, 41.0, 41.7])
    ssa(m, "inh_in", [22.0, 39.5])
    ssa(m, "single", [3.0])
    tm = 20.0
    params = {"tau_m": tm,
              "tau_syn_E": [tm * (1 + 1e-9), tm * (1 - 1e-9), tm * (1 + 1e-9), tm * (1 + 1e-9),
                            tm * (1 + 1e-6)],
              "tau_syn_I": [5.0, tm * (1 + 1e-12), 5.0, 5.0, tm * (1 - 1e-6)],
              "v_thresh": [-55.0, -56.0, HIGH, HIGH, -57.0], "tau_refrac": 1.5}
    assert params["tau_syn_E"][0] != tm and params["tau_syn_I"][1] != tm
    cells(m, "cell", 5, params)
    fromlist(m, "exc_in", "cell", "excitatory",
             [[0, 0, 0.6, 1.1], [0, 1, 0.65, 0.65], [0, 4, 0.55, 1.9]])
    fromlist(m, "inh_in", "cell", "inhibitory",
             [[0, 0, -0.5, 1.3], [0, 1, -0.8, 2.05], [0, 4, -0.3, 0.45]])
    fromlist(m, "single", "cell", "excitatory", [[0, 2, 1.5, 1.01], [0, 3, 1.5, 1.01]])
    sim = probe(m)
    th = list(params["v_thresh"])
    (t2, v2), = local_maxima(sim, "cell", 2)
    # closed form with the tau_syn_E = tau_m limit as a sanity check (differs by O(1e-9))
    assert abs(v2 - (-65 + mpf(1.5) * 20 / mp.e)) < mpf("1e-6")
    th[2] = float(v2 - mpf("1e-9"))
    th[3] = float(v2 + mpf("1e-9"))
    m = with_thresh(m, "cell", th)
    desc = """tau_syn nearly equal to tau_m = 20: tau_syn_E = tau_m (1 +- 1e-9) (as f64),
tau_syn_I = tau_m (1 + 1e-12), and tau_m (1 +- 1e-6); the closed form must not divide two nearly
equal differences.  Cells 2, 3: one PSP grazing the threshold by +1e-9 / -1e-9 mV."""
    return "tau_near", desc, m, lambda s: expect_counts(s, {"cell": [None, None, 1, 0, None]})


def second_flank():
    m = model(50.0)
    ssa(m, "exc_in", [2.0])
    ssa(m, "inh_in", [2.0])
    # cells 0-2: DC-driven (v_inf = -47 > threshold), fast excitation + slower stronger
    # inhibition at once: v' goes + - + within one free segment.  Cell 3: slow excitation and
    # fast stronger inhibition, no DC: v first falls, then rises and crosses.
    params = {"tau_m": 10.0, "tau_syn_E": [0.8, 0.8, 0.8, 6.0], "tau_syn_I": [6.0, 6.0, 6.0, 0.8],
              "i_offset": [1.8, 1.8, 1.8, 0.0], "v_thresh": HIGH, "tau_refrac": 3.0}
    cells(m, "cell", 4, params)
    fromlist(m, "exc_in", "cell", "excitatory",
             [[0, 0, 9.0, 1.0], [0, 1, 9.0, 1.0], [0, 2, 9.0, 1.0], [0, 3, 3.2, 1.0]])
    fromlist(m, "inh_in", "cell", "inhibitory",
             [[0, 0, -5.0, 1.0], [0, 1, -5.0, 1.0], [0, 2, -5.0, 1.0], [0, 3, -7.0, 1.0]])
    sim = probe(m)
    (t1, v1), = local_maxima(sim, "cell", 1)
    (t3, v3), = local_maxima(sim, "cell", 3)
    assert v1 > -60 and t1 > 3
    th = [-51.0, float(v1 + mpf("1e-7")), float(v1 - mpf("1e-9")), float(v3 - mpf("0.5"))]
    m = with_thresh(m, "cell", th)

    def check(s):
        expect_counts(s, {"cell": [None, None, None, None]})
        sp = {i: [t for lab, j, t in s.spike_list() if lab == "cell" and j == i] for i in range(4)}
        assert sp[1] and sp[1][0] > t1 + 1, ("cell 1 must cross on the second flank", sp[1])
        assert sp[2] and abs(sp[2][0] - t1) < mpf("1e-3"), ("cell 2 grazes the first hump", sp[2])
        assert sp[3] and mpf("3.7") < sp[3][0] < t3  # after the dip, on the rising flank
    desc = f"""Non-monotonic trajectories within one free segment (tau_syn_E != tau_syn_I).
Cells 0-2: DC drive (v_inf = -47), fast excitation + stronger slower inhibition at t = 3:
v rises to a first hump (t = {float(t1):.6g}, v = {float(v1):.12g}), falls, then rises again
(DC drive, v_inf = -47).
Cell 0: threshold -51.  Cell 1: threshold 1e-7 mV above the first hump -> must cross on the
second rising flank.  Cell 2: threshold 1e-9 mV below the first hump -> spikes at the hump.
Cell 3: slow excitation, fast stronger inhibition: v dips first, then rises and crosses."""
    return "nonmono_second_flank", desc, m, check


def refractory_inputs():
    m = model(60.0)
    ssa(m, "kick", [1.0])
    ssa(m, "during", [4.0, 6.55, 9.1, 12.0])
    ssa(m, "inh", [7.0])
    params = {"tau_m": 10.0, "tau_syn_E": 3.0, "tau_syn_I": 4.0, "v_thresh": -55.0,
              "tau_refrac": [15.0, 4.3, 9.5]}
    cells(m, "cell", 3, params)
    alltoall(m, "kick", "cell", "excitatory", 25.0, 0.5)
    alltoall(m, "during", "cell", "excitatory", 7.0, 1.0)
    alltoall(m, "inh", "cell", "inhibitory", -3.0, 0.35)
    fromlist(m, "cell", "cell", "excitatory", [[0, 0, 5.0, 3.3], [2, 2, 2.0, 9.4999]])
    desc = """Long refractory periods (15, 4.3, 9.5 ms) after a strong kick at 1.5: excitatory and
inhibitory inputs (and a self-connection) arrive while v is clamped; they charge the currents,
which keep decaying, and v resumes from v_reset at the exact end of the refractory period."""
    return "refractory_inputs", desc, m, lambda s: expect_counts(s, {"cell": [None, None, None]})


def refrac_zero():
    m = model(30.0)
    ssa(m, "src", [3.0, 3.05, 10.0])
    params = {"tau_m": 10.0, "tau_refrac": 0.0, "v_thresh": -50.0,
              "v_reset": [-65.0, -65.0, -50.2], "i_offset": [3.0, 20.0, 5.0]}
    cells(m, "cell", 3, params)
    alltoall(m, "src", "cell", "excitatory", 1.0, 0.1)
    desc = """tau_refrac = 0 with strong drive: cell 0 (i_offset 3), cell 1 (i_offset 20, ISI ~0.8 ms),
cell 2 (v_reset = -50.2, 0.2 mV below threshold: ISI ~0.057 ms, several spikes per step)."""
    return "refrac_zero", desc, m, lambda s: expect_counts(s, {"cell": [None, None, None]})


def chain():
    m = model(60.0)
    ssa(m, "src", [1.0, 30.0, 30.6])
    params = {"tau_m": [10.0, 15.0, 8.0, 12.0], "tau_syn_E": [2.0, 3.0, 1.5, 2.5],
              "tau_syn_I": 4.0, "v_thresh": -55.0, "tau_refrac": [1.0, 2.0, 0.5, 3.0]}
    cells(m, "chain", 4, params)
    fromlist(m, "src", "chain", "excitatory", [[0, 0, 12.0, 1.37]])
    fromlist(m, "chain", "chain", "excitatory",
             [[0, 1, 12.0, 2.345], [1, 2, 15.0, 0.77], [2, 3, 12.0, 3.1415]])
    fromlist(m, "chain", "chain", "inhibitory", [[1, 3, -5.0, 1.111]])
    ssa(m, "late", [[45.0], [45.5], [46.25], [47.125]])
    onetoone(m, "late", "chain", "excitatory", 6.0, 0.333)
    desc = """A four-cell chain with non-grid delays 1.37, 2.345, 0.77, 3.1415 and a feed-forward
inhibitory shortcut 1 -> 3 (delay 1.111); the arrival times are far from the grid.  From 45 ms
a 4-cell SpikeSourceArray (one list per cell) drives the chain OneToOne (delay 0.333)."""
    return "chain_offgrid", desc, m, lambda s: expect_counts(s, {"chain": [None] * 4})


def recurrent():
    m = model(100.0)
    params = {"tau_m": 15.0, "tau_syn_E": 3.0, "tau_syn_I": 6.0, "tau_refrac": 2.0,
              "v_thresh": -54.0, "i_offset": [1.2, 0.5, 0.2]}
    cells(m, "net", 3, params, init={"v": [-60.0, -65.0, -62.5]})
    fromlist(m, "net", "net", "excitatory",
             [[0, 0, 0.6, 2.2], [0, 1, 2.5, 1.3], [1, 0, 1.2, 1.7], [1, 2, 3.0, 0.9]])
    fromlist(m, "net", "net", "inhibitory", [[2, 0, -4.0, 0.6], [2, 1, -3.0, 1.05]])
    alltoall(m, "net", "net", "excitatory", 0.3, 2.75, allow_self=False)
    desc = """A small recurrent network: cell 0 is DC-driven and excites itself (self-connection,
delay 2.2) and cell 1; 1 excites 0 and 2; 2 inhibits 0 and 1; plus all-to-all excitation without
self-connections (delay 2.75).  Activity is sustained but bounded by refractoriness."""
    return "recurrent_loop", desc, m, lambda s: expect_counts(s, {"net": [None, None, None]})


def init_above():
    m = model(40.0)
    params = {"tau_m": 10.0, "v_thresh": -50.0, "i_offset": [0.0, 0.0, 2.0, 0.0, 2.0],
              "tau_refrac": [0.1, 2.0, 0.1, 0.1, 0.0]}
    cells(m, "cell", 5, params, init={"v": [-49.0, -50.0, -50.0000001, -65.0, -45.0],
                                      "isyn_exc": [0.0, 0.0, 0.0, 1.5, 0.0]})
    desc = """Initial values at and above threshold.  Cell 0: v0 = -49 > v_thresh -> spike at t = 0,
sample 0 shows v_reset.  Cell 1: v0 = v_thresh exactly -> spike at 0.  Cell 2: v0 1e-7 mV below
threshold with v_inf = -45 -> spike at ~2e-7 ms (not at 0).  Cell 3: initial isyn_exc = 1.5.
Cell 4: v0 = -45 with tau_refrac = 0 and v_inf = -45 -> spike at 0, then periodic."""
    return "init_above", desc, m, lambda s: expect_first(s, "cell", {0: 0, 1: 0, 4: 0})


def grid_spikes():
    m = model(12.0)
    # arrivals fl(s + d) that are exactly sample times k*0.1
    times = [0.0, 0.2, 1.0, 2.5, 3.0]
    d = 0.1
    for s in times:
        k = round((s + d) / 0.1)
        assert s + d == k * 0.1, (s, d)
    ssa(m, "src", times)
    # cells 1-3: DC drive tuned so that the first crossing is 1e-11 ms before / after t = 5.0
    tm, dv = mpf(10.0), mpf(15.0)

    def i_for(T):
        return float(dv / (tm * (1 - mp.exp(-T / tm))))
    i_before, i_after = i_for(mpf(5) - mpf("1e-11")), i_for(mpf(5) + mpf("1e-11"))
    params = {"tau_m": 10.0, "v_thresh": -50.0, "tau_refrac": [0.1, 0.1, 0.1, 0.0],
              "i_offset": [0.0, i_before, i_after, i_before]}
    cells(m, "cell", 4, params)
    fromlist(m, "src", "cell", "excitatory", [[0, 0, 3.0, d]])

    def check(s):
        sp = {i: [t for lab, j, t in s.spike_list() if lab == "cell" and j == i] for i in range(4)}
        assert abs(sp[1][0] - (5 - mpf("1e-11"))) < mpf("1e-14")
        assert abs(sp[2][0] - (5 + mpf("1e-11"))) < mpf("1e-14")
    desc = """Events on grid points.  Cell 0: input spikes arrive exactly at sample times (0.1,
0.30000000000000004, 1.1, 2.6, 3.1): the sample shows the current after the jump.
Cells 1, 3: DC drive tuned at 50 digits so the first spike is 1e-11 ms BEFORE t = 5.0 (the
sample at 5.0 shows v_reset; cell 3 has tau_refrac = 0).  Cell 2: 1e-11 ms AFTER 5.0 (the sample
shows v just below threshold)."""
    return "grid_spikes", desc, m, check


def dc_switch():
    m = model(60.0)
    params = {"tau_m": 10.0, "v_thresh": -55.0, "tau_refrac": 1.0}
    cells(m, "cell", 4, params)
    for t in (10.0, 40.0, 5.0, 20.0):
        assert round(t / 0.1) * 0.1 == t
    m["current_sources"] += [
        {"type": "DCSource", "amplitude": 1.2, "start": 10.0, "stop": 40.0,
         "inject_into": "cell", "cells": [0]},
        {"type": "DCSource", "amplitude": 1.2, "start": 10.05, "stop": 40.0333,
         "inject_into": "cell", "cells": [1]},
        {"type": "StepCurrentSource", "times": [5.0, 12.345, 20.0, 27.77, 33.3],
         "amplitudes": [2.0, -1.0, 3.5, 0.7, 0.0], "inject_into": "cell", "cells": [2, 3]},
        {"type": "DCSource", "amplitude": 0.8, "start": 0.0, "inject_into": "cell", "cells": [3]},
    ]
    desc = """Current switches.  Cell 0: DCSource 10.0 .. 40.0 (on grid points: the samples at 10.0
and 40.0 are taken after the switch).  Cell 1: the same pulse off the grid (10.05 .. 40.0333).
Cells 2, 3: a StepCurrentSource with on- and off-grid times (5.0, 12.345, 20.0, 27.77, 33.3),
including a negative amplitude; cell 3 also has a DCSource from t = 0 that never stops."""
    return "dc_switch", desc, m, lambda s: expect_counts(s, {"cell": [None, None, None, None]})


def simultaneous():
    m = model(40.0)
    ssa(m, "a", [5.0, 20.0])
    ssa(m, "b", [5.0, 20.0])
    ssa(m, "c", [4.5])
    ssa(m, "d", [4.0])
    params = {"tau_m": 10.0, "tau_syn_E": 2.0, "tau_syn_I": 7.0, "v_thresh": -55.0}
    cells(m, "cell", 3, params)
    fromlist(m, "a", "cell", "excitatory", [[0, 0, 3.0, 1.0], [0, 1, 4.0, 1.5], [0, 2, 2.5, 1.25]])
    fromlist(m, "b", "cell", "inhibitory", [[0, 0, -3.0, 1.0]])
    fromlist(m, "c", "cell", "excitatory", [[0, 1, 4.0, 2.0]])
    fromlist(m, "d", "cell", "excitatory", [[0, 1, 4.0, 2.5]])
    alltoall(m, "b", "cell", "excitatory", 2.5, 1.25)
    assert 5.0 + 1.5 == 4.5 + 2.0 == 4.0 + 2.5 == 65 * 0.1
    desc = """Simultaneous inputs.  Cell 0: an excitatory and an equal inhibitory input arrive at the
same time (6.0, 21.0) -- net jump zero, but tau_syn_E = 2 != tau_syn_I = 7 makes v move.
Cell 1: three excitatory inputs from three sources arrive together at 6.5 (a sample time)
and only their sum crosses.  Cell 2: two sources, same spike time and delay (6.25)."""
    def check(s):
        sp = [t for lab, i, t in s.spike_list() if lab == "cell" and i == 1]
        assert sp and 6.5 < sp[0] < 7.5, sp
    return "simultaneous_inputs", desc, m, check


def vinf_threshold():
    m = model(200.0)
    params = {"tau_m": 10.0, "v_thresh": -50.0, "i_offset": [1.5, 1.501], "cm": 1.0}
    cells(m, "cell", 2, params, record=["v", "spikes"])
    assert -65.0 + 1.5 * 10.0 / 1.0 == -50.0
    desc = """v_inf exactly equal to v_thresh (cell 0: -65 + 1.5*10 = -50): v approaches the
threshold forever and never spikes.  Cell 1: v_inf 0.01 mV above: spikes at ~73.1 and ~146.3 ms."""
    return "vinf_at_threshold", desc, m, lambda s: expect_counts(s, {"cell": [0, 2]})


# --------------------------------------------------------------------------------------------
# seeded random small networks
# --------------------------------------------------------------------------------------------

def random_net(seed):
    rng = random.Random(seed)
    m = model(float(rng.choice([80, 100, 120])))
    n_src = rng.randint(1, 2)
    srcs = []
    for k in range(n_src):
        size = rng.randint(1, 3)
        times = [sorted(round(rng.uniform(0, m["simulation"]["duration"]), 3)
                        for _ in range(rng.randint(2, 10))) for _ in range(size)]
        ssa(m, f"in{k}", times)
        srcs.append((f"in{k}", size))
    pops = []
    n_left = rng.randint(2, 6)
    k = 0
    while n_left > 0:
        size = rng.randint(1, n_left) if k == 0 else n_left
        n_left -= size
        tm = round(rng.uniform(5, 25), 2)

        def tau_syn():
            return tm if rng.random() < 0.2 else round(rng.uniform(0.5, 10), 2)
        params = {
            "tau_m": tm, "tau_syn_E": tau_syn(), "tau_syn_I": tau_syn(),
            "cm": round(rng.uniform(0.5, 1.5), 2),
            "tau_refrac": rng.choice([0.0, 0.1, round(rng.uniform(0.5, 5), 2)]),
            "v_thresh": round(rng.uniform(-56, -50), 2),
            "v_reset": round(rng.uniform(-70, -60), 2),
            "i_offset": [round(rng.uniform(0, 1.2), 3) for _ in range(size)],
        }
        cells(m, f"pop{k}", size, params,
              init={"v": [round(rng.uniform(-70, -55), 2) for _ in range(size)]})
        pops.append((f"pop{k}", size))
        k += 1
    for lab, size in srcs:
        for plab, psize in pops:
            if rng.random() < 0.3:
                alltoall(m, lab, plab, "excitatory", round(rng.uniform(0.5, 4), 3),
                         round(rng.uniform(0.1, 3), 3))
            else:
                lst = [[i, j, round(rng.uniform(0.5, 5), 3), round(rng.uniform(0.1, 4), 3)]
                       for i in range(size) for j in range(psize) if rng.random() < 0.6]
                if lst:
                    fromlist(m, lab, plab, "excitatory", lst)
    for plab, psize in pops:
        for qlab, qsize in pops:
            for rt in ("excitatory", "inhibitory"):
                sgn = 1 if rt == "excitatory" else -1
                if rng.random() < 0.25:
                    alltoall(m, plab, qlab, rt, sgn * round(rng.uniform(0.1, 1.5), 3),
                             round(rng.uniform(0.1, 4), 3),
                             allow_self=rng.choice([None, False]))
                else:
                    lst = [[i, j, sgn * round(rng.uniform(0.2, 4), 3), round(rng.uniform(0.1, 5), 3)]
                           for i in range(psize) for j in range(qsize) if rng.random() < 0.4]
                    if lst:
                        fromlist(m, plab, qlab, rt, lst)
    if rng.random() < 0.5:
        plab, psize = rng.choice(pops)
        t1 = round(rng.uniform(5, 40), 3)
        m["current_sources"].append({"type": "StepCurrentSource",
                                     "times": [t1, round(t1 + rng.uniform(5, 30), 3)],
                                     "amplitudes": [round(rng.uniform(-0.5, 1.5), 3), 0.0],
                                     "inject_into": plab, "cells": [0]})
    desc = f"""Seeded random small network (make_cases.random_net({seed})): {sum(s for _, s in pops)}
IF_curr_exp cells, SpikeSourceArray inputs at off-grid times, FromList / AllToAll connections
with off-grid delays, mixed excitation and inhibition; some tau_syn == tau_m."""
    return m, desc


# --------------------------------------------------------------------------------------------
# checks and diagnostics
# --------------------------------------------------------------------------------------------

def counts(sim, label):
    pop = sim.by_label[label]
    dur = mpf(sim.duration)
    return [sum(1 for t, p, i in sim.spikes if p == pop["index"] and i == j and t <= dur)
            for j in range(pop["size"])]


def expect_counts(sim, want):
    for label, w in want.items():
        got = counts(sim, label)
        if isinstance(w, int):
            assert sum(got) == w, (label, got, w)
        else:
            for j, x in enumerate(w):
                if x is not None:
                    assert got[j] == x, (label, j, got, w)


def expect_first(sim, label, want):
    for j, t in want.items():
        sp = [x for lab, i, x in sim.spike_list() if lab == label and i == j]
        assert sp and sp[0] == t, (label, j, sp[:3])


def diagnostics(sim):
    """(closest miss in mV, smallest crossing slope in mV/ms) over all cells."""
    miss, slope = mpf("inf"), mpf("inf")
    spikes = {}
    for t, p, i in sim.spikes:
        spikes.setdefault((p, i), set()).add(t)
    for pop in sim.pops:
        if pop["type"] not in ref_sim.CELL_TYPES:
            continue
        for c in pop["cells"]:
            for t0, t1, terms in c.segments:
                L = t1 - t0
                pts = extrema(terms, L)
                for p in pts[1:-1]:
                    gap = c.vth - ep_eval(terms, p)
                    if gap > 0:
                        miss = min(miss, gap)
                if t1 in spikes.get((c.pop, c.idx), ()):
                    slope = min(slope, ep_eval(ep_deriv(terms), L))
    return miss, slope


def write_case(name, desc, m, check, quiet=False):
    d = os.path.join(CASES_DIR, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(os.path.join(d, "expected"))
    path = os.path.join(d, "model.toml")
    with open(path, "w") as fh:
        fh.write(to_toml(m, f"{name}: {desc}\n\nExpected results: tests/reference/make_cases.py "
                            f"(ref_sim.py, 50 digits)."))
    loaded = ref_sim.load(path)
    assert loaded == {k: v for k, v in json.loads(json.dumps(m)).items() if v != []}, \
        "TOML round trip"
    sim = ref_sim.Sim(loaded, probe=True).run()
    amb = sim.ambiguities()
    assert not amb, (name, "arrival-rounding dependent", amb[:5])
    # the other arrival convention must give the same spikes to the last bit of the output
    alt = ref_sim.Sim(ref_sim.load(path), arrival="f64" if ref_sim.ARRIVAL == "exact" else "exact").run()
    assert [(l, i) for l, i, _ in alt.spike_list()] == [(l, i) for l, i, _ in sim.spike_list()]
    assert max((abs(a[2] - b[2]) for a, b in zip(alt.spike_list(), sim.spike_list())),
               default=0) < mpf("1e-12")
    if check:
        check(sim)
    sim.write(os.path.join(d, "expected"))
    miss, slope = diagnostics(sim)
    n_cell = sum(1 for t, p, i in sim.spikes if sim.pops[p]["type"] in ref_sim.CELL_TYPES
                 and t <= mpf(sim.duration))
    print(f"{name:24s} cell spikes {n_cell:5d}   closest miss {float(miss):9.3g} mV   "
          f"min crossing slope {float(slope):9.3g} mV/ms", flush=True)
    return miss, slope


# --------------------------------------------------------------------------------------------
# IF_curr_alpha and IF_curr_delta (SPEC section 8): single cells driven by SpikeSourceArrays.
# tests/reference_cases.rs runs them through the binary like every case, and the crate's unit
# test threshold::reference_cells also checks the closed forms and solvers against them, cell
# by cell.
# --------------------------------------------------------------------------------------------

def typed_cells(m, label, size, ctype, params, init=None, record=None):
    p = cells(m, label, size, params, init,
              record=record or (["v", "spikes"] if ctype == "IF_curr_delta" else ALL_VARS))
    p["cell_type"] = ctype
    return p


def alpha_graze():
    """One alpha PSP per cell; thresholds 1e-6 mV below / above the 50-digit peak, with tau_syn
    far from, equal to, and within 1e-9 of tau_m."""
    m = model(60.0)
    ssa(m, "src", [2.0], record=())
    tm = 20.0
    params = {"tau_m": [20.0, 20.0, 10.0, 10.0, tm, tm],
              "tau_syn_E": [0.5, 0.5, 10.0, 10.0, tm * (1 + 1e-9), tm * (1 - 1e-9)],
              "cm": [1.0, 1.0, 0.5, 0.5, 1.0, 1.0], "v_thresh": HIGH}
    typed_cells(m, "cell", 6, "IF_curr_alpha", params)
    w = [3.0, 3.0, 1.0, 1.0, 0.6, 0.6]
    fromlist(m, "src", "cell", "excitatory", [[0, i, w[i], 1.0] for i in range(6)])
    sim = probe(m)
    th = []
    for i in range(6):
        (t, v), = local_maxima(sim, "cell", i)
        if i == 2:  # tau_syn == tau_m: peak (w e / (tau cm)) 2 tau^2 e^{-2} at 2 tau after input
            peak = -65 + mpf(1.0) * mp.e / 10 / mpf(0.5) * 2 * 100 * mp.exp(-2)
            assert abs(peak - v) < mpf("1e-40") and abs(t - 3 - 20) < mpf("1e-30"), (peak, v, t)
        th.append(float(v + (-1 if i % 2 == 0 else 1) * mpf("1e-6")))
    m = with_thresh(m, "cell", th)
    desc = """IF_curr_alpha PSPs grazing the threshold by 1e-6 mV: even cells threshold = peak - 1e-6
(one spike each), odd cells peak + 1e-6 (none).  Cells 0, 1: PyNN defaults (tau_syn 0.5), w 3;
2, 3: tau_syn_E == tau_m = 10, cm 0.5 (peak closed form, t^2 e^{-t/tau_m}); 4: tau_syn_E =
tau_m (1 + 1e-9); 5: tau_m (1 - 1e-9)."""
    return "alpha_graze", desc, m, lambda s: expect_counts(s, {"cell": [1, 0, 1, 0, 1, 0]})


def alpha_excursion():
    """A fast excitatory alpha current on top of slower inhibition: v is above threshold for
    0.03 ms (cell 0), for the excursion of a 1e-6 mV graze (cell 1), never (cell 2, +1e-6)."""
    m = model(40.0)
    ssa(m, "inh_in", [8.0], record=())
    ssa(m, "exc_in", [10.0], record=())
    params = {"tau_m": 10.0, "tau_syn_E": 0.1, "tau_syn_I": 3.0, "v_thresh": HIGH}
    typed_cells(m, "cell", 3, "IF_curr_alpha", params)
    alltoall(m, "inh_in", "cell", "inhibitory", -4.0, 1.0)
    alltoall(m, "exc_in", "cell", "excitatory", 40.0, 0.4321)
    sim = probe(m)
    (tp, vp), = [(t, v) for t, v in local_maxima(sim, "cell", 0) if t > 10.4321]
    t0, t1, terms = segment_at(sim, "cell", 0, tp)

    def window(delta):
        xs = [t0 + x for x in level_crossings(terms, vp - delta, t1 - t0)]
        return max(x for x in xs if x < tp), min(x for x in xs if x > tp)

    lo, hi = mpf("1e-12"), mpf(1)
    for _ in range(200):
        mid = (lo + hi) / 2
        a, b = window(mid)
        lo, hi = (mid, hi) if b - a <= mpf("0.03") else (lo, mid)
    a, b = window(lo)
    assert b - a < mpf("0.05") and a > t0, (a, b)
    a2, b2 = window(mpf("1e-6"))
    m = with_thresh(m, "cell", [float(vp - lo), float(vp - mpf("1e-6")), float(vp + mpf("1e-6"))])
    desc = f"""IF_curr_alpha sub-step excursions: inhibition (tau_syn_I 3) from 9, then a fast strong
excitatory alpha current (tau_syn_E 0.1, w 40) from 10.4321: v peaks at {float(tp)!r}.
Cell 0: above threshold for 0.03 ms [{float(a)!r}, {float(b)!r}] -> spike.  Cell 1: threshold
1e-6 mV under the peak (excursion {float(b2 - a2):.3g} ms) -> spike.  Cell 2: 1e-6 mV over -> none."""
    return "alpha_excursion", desc, m, lambda s: expect_counts(s, {"cell": [1, 1, 0]})


def alpha_trains():
    """Trains of inputs, spikes and refractoriness with tau_syn == tau_m and nearly equal."""
    m = model(80.0)
    ssa(m, "exc_in", [5.0, 5.5, 6.0, 6.2, 20.0, 21.5, 22.0, 40.0, 41.0, 41.7], record=())
    ssa(m, "inh_in", [7.0, 22.5, 39.5], record=())
    tm = 10.0
    params = {"tau_m": tm, "tau_syn_E": [tm, tm * (1 + 1e-9), tm * (1 - 1e-9), 2.0],
              "tau_syn_I": [tm, 3.0, tm * (1 + 1e-9), 5.0], "v_thresh": -57.0,
              "tau_refrac": [2.0, 4.0, 3.0, 5.0], "cm": [1.0, 1.0, 1.0, 0.5],
              "i_offset": [0.0, 0.2, 0.0, 0.1]}
    typed_cells(m, "cell", 4, "IF_curr_alpha", params, init={"isyn_exc": [0.0, 0.5, 0.0, 0.0]})
    fromlist(m, "exc_in", "cell", "excitatory",
             [[0, 0, 0.7, 1.0], [0, 1, 0.6, 0.8], [0, 2, 0.7, 1.3], [0, 3, 2.5, 0.6]])
    fromlist(m, "inh_in", "cell", "inhibitory",
             [[0, 0, -0.4, 1.0], [0, 1, -0.5, 0.3], [0, 2, -0.3, 1.1], [0, 3, -1.5, 0.9]])

    def check(s):
        c = counts(s, "cell")
        assert all(x >= 1 for x in c), c
    desc = """IF_curr_alpha input trains with spikes and refractory periods (inputs arrive while v is
clamped and keep charging the currents).  Cell 0: tau_syn_E == tau_syn_I == tau_m = 10; cell 1:
tau_syn_E = tau_m (1 + 1e-9), initial isyn_exc 0.5, i_offset 0.2; cell 2: tau_syn_E = tau_m
(1 - 1e-9), tau_syn_I = tau_m (1 + 1e-9); cell 3: tau_syn_E 2, cm 0.5."""
    return "alpha_trains", desc, m, check


def delta_rules():
    """The IF_curr_delta rules, each cell one of them."""
    m = model(400.0)
    # arrivals are f64 sums s + 1.0 that are exact: 5, 6, 7, ...
    ssa(m, "src", [[4.0, 5.0, 6.0, 30.0], [2.0], [4.0], [4.0]], record=())
    ssa(m, "drift_in", [10.0], record=())
    params = {"tau_refrac": [2.0, 2.0, 0.1, 0.1, 0.1, 0.1, 0.1],
              "i_offset": [0.0, 0.0, 0.0, 0.0, 0.9, 0.0, 0.0],
              "v_rest": [-65.0, -65.0, -65.0, -65.0, -65.0, -50.0 + 1e-6, -50.0 - 1e-6]}
    typed_cells(m, "cell", 7, "IF_curr_delta", params,
                init={"v": [-65.0, -65.0, -65.0, -65.0, -65.0, -65.0, -50.0]})
    # two projections from the same sources: inputs at one time through both are summed
    m["projections"].append({"presynaptic": "src", "postsynaptic": "cell",
                             "receptor_type": "excitatory",
                             "connector": {"type": "FromListConnector", "conn_list": [
                                 [0, 0, 8.0, 1.0], [1, 1, 7.5, 1.0], [2, 2, 8.0, 1.0],
                                 [3, 3, 8.0, 1.0]]}})
    m["projections"].append({"presynaptic": "src", "postsynaptic": "cell",
                             "receptor_type": "excitatory",
                             "connector": {"type": "FromListConnector", "conn_list": [
                                 [0, 0, 8.0, 1.0], [1, 1, 7.5, 1.0], [2, 2, 8.0, 1.0],
                                 [3, 3, 8.0, 1.0]]}})
    fromlist(m, "src", "cell", "inhibitory", [[3, 3, -2.0, 1.0]])
    fromlist(m, "drift_in", "cell", "inhibitory", [[0, 4, -5.0, 1.0]])

    def check(s):
        sp = {i: [t for lab, j, t in s.spike_list() if lab == "cell" and j == i] for i in range(7)}
        assert sp[0] == [5, 7, 31], sp[0]          # summed 8 + 8 fires at 5; 6 lost; 7 applied
        assert sp[1] == [3], sp[1]                 # 7.5 + 7.5 reaches exactly -50: fires
        assert sp[2] == [5], sp[2]                 # 8 + 8 fires at 5 (tau_refrac 0.1)
        assert sp[3] == [], sp[3]                  # 8 + 8 - 2 at 5: -51, no spike
        assert len(sp[4]) > 5                      # drift spikes (v_inf = -47)
        assert len(sp[5]) == 1 and sp[5][0] > 300  # v_inf 1e-6 mV above threshold
        assert sp[6] == [0], sp[6]                 # initial v at threshold; v_inf 1e-6 below
    desc = """IF_curr_delta rules (tau_m 20, v_thresh -50, jumps in mV).
Cell 0 (tau_refrac 2): 8 + 8 mV at 5, 6, 7 and 31: spike at 5; the inputs at 6 (refractory)
discarded; those at exactly 7 = 5 + tau_refrac applied -> spike at 7; spike at 31.
Cell 1: 7.5 + 7.5 mV at 3 reach -50 exactly -> spike at 3.  Cell 2: 8 + 8 at 5 -> spike.
Cell 3: 8 + 8 - 2 mV at 5 -> -51, no spike.  Cell 4: i_offset 0.9 (v_inf -47): drift spikes
every 2 + 20 ln 6 ms, an inhibitory -5 mV at 11.  Cell 5: v_inf = v_thresh + 1e-6: one drift
spike near 330 ms.  Cell 6: initial v = v_thresh -> spike at 0; then v_inf = v_thresh - 1e-6:
none."""
    return "delta_rules", desc, m, check


def mixed_network():
    """The three current-based cells in one recurrent network (SPEC section 8)."""
    m = model(150.0)
    ssa(m, "drive", [[1.13, 7.71, 22.9, 40.05], [3.37, 15.5, 31.25], [5.9, 12.03, 60.61]])
    typed_cells(m, "exp", 3, "IF_curr_exp",
                {"tau_m": 12.0, "tau_syn_E": 2.0, "tau_syn_I": 4.0, "tau_refrac": 1.5,
                 "v_thresh": -55.0, "i_offset": [1.2, 0.95, 0.85]},
                init={"v": [-58.0, -62.0, -65.0]})
    typed_cells(m, "alpha", 3, "IF_curr_alpha",
                {"tau_m": 15.0, "tau_syn_E": [0.7, 15.0, 2.0], "tau_syn_I": 3.0,
                 "tau_refrac": 2.0, "v_thresh": -54.0, "i_offset": [0.68, 0.4, 0.7]},
                init={"v": [-60.0, -64.0, -57.0]})
    typed_cells(m, "delta", 3, "IF_curr_delta",
                {"tau_m": 10.0, "tau_refrac": [0.0, 1.0, 2.5], "v_thresh": -56.0,
                 "i_offset": [0.8, 0.5, 0.95]},
                init={"v": [-61.0, -65.0, -58.5]})
    fromlist(m, "drive", "exp", "excitatory", [[0, 0, 1.5, 0.75], [1, 1, 2.0, 1.1], [2, 2, 2.5, 0.6]])
    fromlist(m, "drive", "alpha", "excitatory", [[0, 1, 1.0, 1.3], [1, 2, 1.5, 0.9], [2, 0, 2.0, 2.05]])
    fromlist(m, "drive", "delta", "excitatory", [[0, 2, 3.0, 0.8], [1, 0, 4.0, 1.7], [2, 1, 6.0, 1.25]])
    fromlist(m, "exp", "alpha", "excitatory", [[0, 0, 2.0, 1.45], [1, 2, 0.6, 2.3], [2, 1, 1.1, 0.95]])
    fromlist(m, "alpha", "delta", "excitatory", [[0, 1, 2.5, 1.05], [1, 0, 3.5, 0.85], [2, 2, 1.5, 1.6]])
    fromlist(m, "delta", "exp", "excitatory", [[0, 2, 1.2, 1.35], [1, 0, 0.9, 0.7], [2, 1, 1.4, 2.15]])
    fromlist(m, "alpha", "exp", "inhibitory", [[1, 0, -1.5, 1.15], [2, 1, -1.0, 0.65]])
    fromlist(m, "exp", "delta", "inhibitory", [[0, 0, -2.0, 1.9], [2, 2, -3.0, 0.55]])
    fromlist(m, "delta", "alpha", "inhibitory", [[2, 0, -0.8, 1.75], [1, 1, -0.5, 2.4]])

    def check(s):
        for label in ("exp", "alpha", "delta"):
            got = counts(s, label)
            assert all(c >= 1 for c in got) and sum(got) >= 8, (label, got)
    desc = """IF_curr_exp, IF_curr_alpha and IF_curr_delta cells (three of each, DC-biased, with
different tau_syn and tau_refrac, delta cell 0 with tau_refrac 0) in one recurrent network:
exp -> alpha -> delta -> exp excitation (delta weights in mV), inhibition the other way round,
spike-source drive, off-grid delays.  Every cell fires."""
    return "mixed_network", desc, m, check


CELL_CASES = [alpha_graze, alpha_excursion, alpha_trains, delta_rules]


# --------------------------------------------------------------------------------------------
# IF_curr_alpha / IF_curr_delta hard cases, one difficulty each, written as model.toml (they use
# only these cells, SpikeSourceArrays and current sources).  benchmarks/python/nest_alpha_delta.py
# runs them on NEST's precise and grid models through export-pynn (docs/nest_alpha_delta.md).
# --------------------------------------------------------------------------------------------

def alpha_graze_pm(sign):
    """Single alpha PSPs whose peak is 1e-6 mV above (sign=-1: threshold = peak - 1e-6, must
    spike) or below (sign=+1: none) the threshold: PyNN defaults with the input on and off the
    grid, tau_syn_E == tau_m, tau_syn_E = tau_m (1 +- 1e-9), and a peak on a DC plateau."""
    m = model(60.0)
    ssa(m, "src", [2.0], record=())
    ssa(m, "src_offgrid", [2.0137], record=())
    tm = 20.0
    params = {"tau_m": [20.0, 20.0, 10.0, tm, tm, 15.0],
              "tau_syn_E": [0.5, 0.5, 10.0, tm * (1 + 1e-9), tm * (1 - 1e-9), 2.0],
              "cm": [1.0, 1.0, 0.5, 1.0, 1.0, 1.0], "i_offset": [0.0, 0.0, 0.0, 0.0, 0.0, 0.4],
              "v_thresh": HIGH}
    typed_cells(m, "cell", 6, "IF_curr_alpha", params,
                init={"v": [-65.0, -65.0, -65.0, -65.0, -65.0, -59.0]})
    w = [3.0, 3.0, 1.0, 0.6, 0.6, 2.2]
    fromlist(m, "src", "cell", "excitatory", [[0, i, w[i], 1.0] for i in (0, 2, 3, 4, 5)])
    fromlist(m, "src_offgrid", "cell", "excitatory", [[0, 1, w[1], 1.0]])
    sim = probe(m)
    th = []
    for i in range(6):
        (t, v), = local_maxima(sim, "cell", i)
        th.append(float(v + sign * mpf("1e-6")))
    m = with_thresh(m, "cell", th)
    n = 1 if sign < 0 else 0
    name = "alpha_graze_above" if sign < 0 else "alpha_graze_below"
    desc = f"""IF_curr_alpha PSP peaks grazing the threshold: v_thresh = peak {'-' if sign < 0 else '+'} 1e-6 mV (peak at
50 digits), so every cell {'must spike once, just before its peak' if sign < 0 else 'must NOT spike'}.  Cell 0: PyNN defaults (tau_syn_E 0.5),
input arriving at 3.0 (on the grid); cell 1: the same arriving at 3.0137 (off the grid);
cell 2: tau_syn_E == tau_m = 10, cm 0.5; cells 3, 4: tau_syn_E = tau_m (1 +- 1e-9), tau_m 20;
cell 5: tau_syn_E 2 on a DC plateau (i_offset 0.4, v0 -59)."""
    return name, desc, m, lambda s: expect_counts(s, {"cell": [n] * 6})


def alpha_excursion_short():
    """Fast excitatory alpha current on slower inhibition, the peak placed mid-step: v is above
    threshold for 0.05 ms, 0.02 ms, the 1e-6 mV graze's excursion, or never, all strictly
    inside one 0.1 ms step."""
    def build(s_exc):
        m = model(40.0)
        ssa(m, "inh_in", [8.0], record=())
        ssa(m, "exc_in", [s_exc], record=())
        params = {"tau_m": 10.0, "tau_syn_E": 0.1, "tau_syn_I": 3.0, "v_thresh": HIGH}
        typed_cells(m, "cell", 4, "IF_curr_alpha", params)
        alltoall(m, "inh_in", "cell", "inhibitory", -4.0, 1.0)
        alltoall(m, "exc_in", "cell", "excitatory", 40.0, 0.5)
        return m
    # place the peak at ~10.9537: inside the step (10.9, 11.0], and the 1e-6 mV excursion
    # (~0.0005 ms) between grid points of 0.01 and 0.001 ms steps too
    s_exc = 9.9321
    for _ in range(3):
        m = build(s_exc)
        sim = probe(m)
        (tp, vp), = [(t, v) for t, v in local_maxima(sim, "cell", 0) if t > 10.0]
        s_exc = round(s_exc + float(mpf("10.9537") - tp), 5)
    m = build(s_exc)
    sim = probe(m)
    (tp, vp), = [(t, v) for t, v in local_maxima(sim, "cell", 0) if t > 10.0]
    t0, t1, terms = segment_at(sim, "cell", 0, tp)

    def window(delta):
        xs = [t0 + x for x in level_crossings(terms, vp - delta, t1 - t0)]
        return max(x for x in xs if x < tp), min(x for x in xs if x > tp)

    def delta_for(width):
        lo, hi = mpf("1e-12"), mpf(1)
        for _ in range(200):
            mid = (lo + hi) / 2
            a, b = window(mid)
            lo, hi = (mid, hi) if b - a <= width else (lo, mid)
        return lo
    d5, d2 = delta_for(mpf("0.05")), delta_for(mpf("0.02"))
    wins = [window(d5), window(d2), window(mpf("1e-6"))]
    for a, b in wins:
        assert mpf("10.9") < a < b < mpf("11.0") and a > t0, (a, b)
    a6, b6 = wins[2]
    assert mpf("10.953") < a6 < b6 < mpf("10.954"), (a6, b6)  # no grid point of 0.001 ms
    m = with_thresh(m, "cell", [float(vp - d5), float(vp - d2), float(vp - mpf("1e-6")),
                                float(vp + mpf("1e-6"))])
    (a5, b5), (a2, b2), (a6, b6) = wins
    desc = f"""IF_curr_alpha excursions above threshold shorter than one 0.1 ms step: inhibition
(tau_syn_I 3, w -4) from 9, then a fast excitatory alpha current (tau_syn_E 0.1, w 40) from
{s_exc + 0.5!r}: v peaks at {float(tp)!r}.  Cell 0: above threshold for 0.05 ms
[{float(a5)!r}, {float(b5)!r}]; cell 1: 0.02 ms [{float(a2)!r}, {float(b2)!r}];
cell 2: threshold 1e-6 mV under the peak ({float(b6 - a6):.3g} ms, inside (10.953, 10.954)); all
inside (10.9, 11.0) -> one spike each.  Cell 3: 1e-6 mV over the peak -> none."""
    return "alpha_excursion_short", desc, m, lambda s: expect_counts(s, {"cell": [1, 1, 1, 0]})


def alpha_tau_equal():
    """tau_syn == tau_m and within 1e-9 of it, input trains on the grid, plain crossings."""
    m = model(100.0)
    ssa(m, "exc_in", [5.0, 5.5, 6.0, 20.0, 21.0, 21.5, 40.0, 41.0, 41.7, 60.0, 60.3, 75.0],
        record=())
    ssa(m, "inh_in", [7.0, 22.5, 45.0], record=())
    tm = 10.0
    params = {"tau_m": tm, "tau_syn_E": [tm, tm * (1 + 1e-9), tm * (1 - 1e-9), tm],
              "tau_syn_I": [tm, 3.0, tm * (1 + 1e-9), tm * (1 - 1e-9)], "v_thresh": -57.0,
              "tau_refrac": 2.0}
    typed_cells(m, "cell", 4, "IF_curr_alpha", params)
    alltoall(m, "exc_in", "cell", "excitatory", 0.7, 1.0)
    alltoall(m, "inh_in", "cell", "inhibitory", -0.4, 1.0)

    def check(s):
        c = counts(s, "cell")
        assert all(x >= 2 for x in c), c
    desc = """IF_curr_alpha with tau_syn == tau_m (t e^{-t/tau_m} and t^2 e^{-t/tau_m} terms) and tau_syn =
tau_m (1 +- 1e-9): trains of inputs arriving on the grid, ordinary crossings.  Cell 0:
tau_syn_E == tau_syn_I == tau_m = 10; cell 1: tau_syn_E = tau_m (1 + 1e-9), tau_syn_I 3;
cell 2: tau_m (1 - 1e-9) / tau_m (1 + 1e-9); cell 3: tau_m / tau_m (1 - 1e-9).  tau_refrac 2."""
    return "alpha_tau_equal", desc, m, check


def alpha_refractory():
    """Inputs arriving while refractory keep charging the alpha currents; tau_refrac a whole
    number of 0.1 ms steps."""
    m = model(60.0)
    ssa(m, "kick", [1.0], record=())
    ssa(m, "during", [3.0, 4.5, 6.0, 9.1, 12.0], record=())
    ssa(m, "inh", [7.0], record=())
    params = {"tau_m": 10.0, "tau_syn_E": 1.5, "tau_syn_I": 2.0, "v_thresh": -55.0,
              "tau_refrac": [15.0, 4.0, 8.5]}
    typed_cells(m, "cell", 3, "IF_curr_alpha", params)
    alltoall(m, "kick", "cell", "excitatory", 12.0, 1.0)
    alltoall(m, "during", "cell", "excitatory", 3.0, 1.0)
    alltoall(m, "inh", "cell", "inhibitory", -2.0, 1.0)
    desc = """IF_curr_alpha refractory periods of 15, 4 and 8.5 ms (whole steps) after a strong kick at 2:
excitatory and inhibitory alpha inputs arriving while v is clamped charge the currents, which
keep evolving; v resumes from v_reset at the exact end of the refractory period."""
    return "alpha_refractory", desc, m, lambda s: expect_counts(s, {"cell": [None] * 3})


def alpha_refrac_offgrid():
    """tau_refrac that is not a whole number of 0.1 ms steps, and 0."""
    m = model(60.0)
    params = {"tau_m": 10.0, "v_thresh": -55.0, "tau_refrac": [1.234, 3.05, 0.0, 0.04],
              "i_offset": [1.5, 1.5, 1.5, 1.5], "v_reset": [-65.0, -65.0, -55.5, -55.5]}
    typed_cells(m, "cell", 4, "IF_curr_alpha", params)
    desc = """IF_curr_alpha tau_refrac off the 0.1 ms grid: constant drive (i_offset 1.5, v_inf -50) and
tau_refrac 1.234 / 3.05 (cells 0, 1; v_reset -65), 0 / 0.04 (cells 2, 3; v_reset -55.5,
0.5 mV under threshold: interspike interval ~0.7 ms)."""
    return "alpha_refrac_offgrid", desc, m, lambda s: expect_counts(s, {"cell": [None] * 4})


def alpha_offgrid_times():
    """Spike-source times off the grid, delays on it (NEST's precise neurons take the offsets)."""
    m = model(60.0)
    ssa(m, "src", [[3.0137, 3.5371, 4.0049], [10.0919, 10.2233], [20.0501, 20.0502, 20.7777]],
        record=())
    params = {"tau_m": 10.0, "tau_syn_E": [0.5, 1.0, 0.3], "v_thresh": -58.0}
    typed_cells(m, "cell", 3, "IF_curr_alpha", params)
    onetoone(m, "src", "cell", "excitatory", 4.0, 1.0)
    desc = """IF_curr_alpha inputs at off-grid spike times (3.0137, 3.5371, 4.0049; 10.0919, 10.2233;
20.0501, 20.0502, 20.7777), delay 1.0 (on the grid), weight 4: ordinary crossings."""
    return "alpha_offgrid_times", desc, m, lambda s: expect_counts(s, {"cell": [None] * 3})


def alpha_offgrid_delays():
    """Off-grid delays, from sources and between cells (NEST rounds every delay to the grid)."""
    m = model(60.0)
    ssa(m, "src", [5.0, 25.0], record=())
    ssa(m, "src2", [25.0], record=())
    params = {"tau_m": 10.0, "tau_syn_E": 0.5, "v_thresh": -58.0, "tau_refrac": 2.0}
    typed_cells(m, "cell", 4, "IF_curr_alpha", params)
    fromlist(m, "src", "cell", "excitatory", [[0, 0, 10.0, 1.37], [0, 1, 10.0, 2.345]])
    fromlist(m, "src2", "cell", "excitatory", [[0, 1, 10.0, 0.777]])
    fromlist(m, "cell", "cell", "excitatory", [[0, 2, 10.0, 1.111], [1, 3, 10.0, 3.1415],
                                               [2, 3, 10.0, 0.55]])
    desc = """IF_curr_alpha with off-grid delays: source spikes at 5 and 25 reach cell 0 after 1.37 and
cell 1 after 2.345 (and a second source at 25 after 0.777); chain 0 -> 2 (1.111), 1 -> 3
(3.1415), 2 -> 3 (0.55).  Weight 10 nA, ordinary crossings."""
    return "alpha_offgrid_delays", desc, m, lambda s: expect_counts(s, {"cell": [None] * 4})


def _kink_switch(ctype, params, size, amp, t_on, t_off, grazer_cells, m=None):
    """Cells driven by a current step amp on [t_on, t_off): v peaks at t_off (v' drops below
    zero there).  Returns the model with the thresholds of `grazer_cells` (dict cell -> sign)
    set to v(t_off) + sign 1e-6, and v(t_off)."""
    m = m or model(60.0)
    typed_cells(m, "cell", size, ctype, dict(params, v_thresh=HIGH))
    m["current_sources"].append({"type": "StepCurrentSource", "times": [t_on, t_off],
                                 "amplitudes": [amp, 0.0], "inject_into": "cell",
                                 "cells": list(range(size))})
    sim = probe(m)
    th = []
    for i in range(size):
        t0, t1, terms = segment_at(sim, "cell", i, mpf(t_off))
        v = ep_eval(terms, mpf(t_off) - t0)
        d = ep_deriv(terms)
        assert ep_eval(d, mpf(t_off) - t0) > 0
        th.append(float(v + grazer_cells.get(i, 0) * mpf("1e-6")) if i in grazer_cells
                  else None)
    return m, th


def alpha_current_switch():
    """A current step switching off the grid: a 1e-6 mV graze at the switch-off kink, and a
    spike train whose start and end are set by the switches."""
    params = {"tau_m": 20.0, "tau_syn_E": 0.5, "tau_refrac": 2.0}
    m = model(60.0)
    ssa(m, "src", [7.0], record=())
    m2, th = _kink_switch("IF_curr_alpha", params, 3, 1.0, 5.03, 12.347, {0: -1, 1: +1}, m=m)
    m = m2
    alltoall(m, "src", "cell", "excitatory", 0.5, 1.0)
    # (the thresholds were computed without the inputs: compute them again with them)
    m = with_thresh(m, "cell", HIGH)
    sim = probe(m)
    for i, sign in ((0, -1), (1, +1)):
        t0, t1, terms = segment_at(sim, "cell", i, mpf(12.347))
        assert ep_eval(ep_deriv(terms), mpf(12.347) - t0) > 0
        th[i] = float(ep_eval(terms, mpf(12.347) - t0) + sign * mpf("1e-6"))
    th[2] = -56.0
    m = with_thresh(m, "cell", th)
    m["current_sources"].append({"type": "StepCurrentSource", "times": [15.0, 41.2345],
                                 "amplitudes": [1.2, 0.0], "inject_into": "cell", "cells": [2]})
    desc = """IF_curr_alpha driven by StepCurrentSources switching off the grid, and an alpha input of 0.5 nA
arriving at 8.0.  Cells 0, 1: 1.0 nA on [5.03, 12.347): v rises and peaks at the
switch-off; threshold = v(12.347) -+ 1e-6 mV -> cell 0 spikes just before 12.347, cell 1 never.  Cell 2 (v_thresh -56): the same pulse stays under
threshold; 1.2 nA more on [15.0, 41.2345) drives a spike train."""
    return "alpha_current_switch", desc, m, lambda s: expect_counts(s, {"cell": [1, 0, None]})


def delta_graze_drift():
    """IF_curr_delta crossings by drift that graze the threshold by 1e-6 mV: v_inf just above or
    below threshold, and a current step switched off (on the grid) just after or just before v
    reaches threshold."""
    params = {"tau_m": 20.0, "tau_refrac": 2.0,
              "v_rest": [-65.0, -65.0, -50.0 + 1e-6, -50.0 - 1e-6]}
    m = model(400.0)
    m, th = _kink_switch("IF_curr_delta", params, 4, 0.9, 1.0, 11.0, {0: -1, 1: +1}, m=m)
    m["current_sources"][0]["cells"] = [0, 1]
    th[2] = th[3] = -50.0
    m = with_thresh(m, "cell", th)

    def check(s):
        c = counts(s, "cell")
        assert c[0] == 1 and c[1] == 0 and c[2] == 1 and c[3] == 0, c
    desc = """IF_curr_delta threshold grazes by drift (tau_m 20).  Cells 0, 1: 0.9 nA on [1, 11) (grid
times; a switch at t = 0 would act only from 2 steps later on NEST), v peaks at the switch-off,
threshold = v(11) -+ 1e-6 mV -> cell 0 spikes just before 11, cell 1 never.  Cells 2, 3: v_rest = v_thresh +- 1e-6 mV (-50), from -65: cell 2 reaches
threshold once (~330 ms), cell 3 never."""
    return "delta_graze_drift", desc, m, check


def delta_refractory():
    """Inputs while refractory are discarded, one at exactly t_s + tau_refrac is applied (spike
    times off the grid; all sums exact in binary)."""
    m = model(60.0)
    ssa(m, "src", [[4.25, 5.25, 6.25, 20.0], [4.25, 6.2, 9.0], [4.25, 5.5], [4.25, 4.5, 4.75]],
        record=())
    params = {"tau_m": 20.0, "tau_refrac": [2.0, 2.0, 1.25, 0.5]}
    typed_cells(m, "cell", 4, "IF_curr_delta", params)
    fromlist(m, "src", "cell", "excitatory",
             [[i, i, 16.0, 1.0] for i in range(4)])

    def check(s):
        sp = {i: [t for lab, j, t in s.spike_list() if lab == "cell" and j == i] for i in range(4)}
        assert sp[0] == [5.25, 7.25, 21.0], sp[0]
        assert sp[1] == [5.25, 10.0], sp[1]
        assert sp[2] == [5.25, 6.5], sp[2]
        assert sp[3] == [5.25, 5.75], sp[3]
    desc = """IF_curr_delta refractoriness, jumps of 16 mV (v_thresh -50, from -65), arrivals off the grid.
Cell 0 (tau_refrac 2): inputs at 5.25 (spike), 6.25 (refractory: discarded), 7.25 = 5.25 + 2
(applied at the end of refractoriness: spike), 21 (spike).  Cell 1 (tau_refrac 2): 5.25
(spike), 7.2 (0.05 ms before the end: discarded), 10 (spike).  Cell 2 (tau_refrac 1.25, not whole steps): 5.25 (spike), 6.5 = 5.25 + 1.25 (spike).
Cell 3 (tau_refrac 0.5): 5.25 (spike), 5.5 (discarded), 5.75 = 5.25 + 0.5 (spike)."""
    return "delta_refractory", desc, m, check


def delta_refrac_zero():
    """tau_refrac = 0 (NEST's precise models refuse it, its grid models take it)."""
    m = model(100.0)
    ssa(m, "src", [[5.0, 5.05, 5.12], []], record=())
    params = {"tau_m": 20.0, "tau_refrac": 0.0, "v_reset": [-65.0, -50.5],
              "i_offset": [0.0, 1.0]}
    typed_cells(m, "cell", 2, "IF_curr_delta", params)
    fromlist(m, "src", "cell", "excitatory", [[0, 0, 20.0, 1.0]])

    def check(s):
        c = counts(s, "cell")
        assert c[0] == 3 and c[1] > 20, c
    desc = """IF_curr_delta with tau_refrac = 0.  Cell 0: jumps of 20 mV arriving at 6.0, 6.05, 6.12 -> three
spikes (each input finds v at v_reset = -65).  Cell 1: v_reset -50.5, i_offset 1 (v_inf -45): a spike every 20 ln(5.5/5) = 1.906 ms."""
    return "delta_refrac_zero", desc, m, check


def delta_offgrid_times():
    """Spike-source times off the grid, delays on it: every spike is an input arrival."""
    m = model(60.0)
    ssa(m, "src", [[3.0137, 3.5371, 9.0049], [10.0919, 10.2233, 30.0001]], record=())
    params = {"tau_m": 20.0, "tau_refrac": 0.2}
    typed_cells(m, "cell", 2, "IF_curr_delta", params)
    onetoone(m, "src", "cell", "excitatory", 8.0, 1.0)
    fromlist(m, "cell", "cell", "excitatory", [[0, 1, 16.0, 2.0]])
    desc = """IF_curr_delta jumps of 8 mV at off-grid times (source spikes 3.0137, 3.5371, 9.0049 and
10.0919, 10.2233, 30.0001, delay 1.0): cell 0 fires at the second arrival; its spike reaches
cell 1 after 2.0 (on the grid) with 16 mV."""
    return "delta_offgrid_times", desc, m, lambda s: expect_counts(s, {"cell": [None, None]})


def delta_offgrid_delays():
    """Off-grid delays, from sources and between cells."""
    m = model(60.0)
    ssa(m, "src", [5.0, 25.0], record=())
    ssa(m, "src2", [25.0], record=())
    params = {"tau_m": 20.0, "tau_refrac": 1.0}
    typed_cells(m, "cell", 4, "IF_curr_delta", params)
    # delays off the 0.1 ms grid but exact in binary: a delta cell fires at the very time of
    # its input, so every later arrival time is an exact sum (no rounding convention matters)
    fromlist(m, "src", "cell", "excitatory", [[0, 0, 16.0, 1.375], [0, 1, 16.0, 2.3125]])
    fromlist(m, "src2", "cell", "excitatory", [[0, 1, 16.0, 0.8125]])
    fromlist(m, "cell", "cell", "excitatory", [[0, 2, 16.0, 1.125], [1, 3, 16.0, 3.0625],
                                               [2, 3, 16.0, 0.5625]])
    desc = """IF_curr_delta with off-grid delays (exact in binary): source spikes at 5 and 25 reach cell 0
after 1.375 and cell 1 after 2.3125 (and a second source at 25 after 0.8125); chain 0 -> 2
(1.125), 1 -> 3 (3.0625), 2 -> 3 (0.5625).  Jumps of 16 mV: every arrival at a non-refractory cell is a spike."""
    return "delta_offgrid_delays", desc, m, lambda s: expect_counts(s, {"cell": [None] * 4})


def delta_current_switch():
    """A current step switching off the grid: a 1e-6 mV graze at the switch-off, and drift
    spikes whose train starts and ends with the switches."""
    params = {"tau_m": 20.0, "tau_refrac": 2.0}
    m, th = _kink_switch("IF_curr_delta", params, 3, 1.0, 5.03, 12.347, {0: -1, 1: +1})
    th[2] = -56.0
    m = with_thresh(m, "cell", th)
    m["current_sources"].append({"type": "StepCurrentSource", "times": [15.0, 41.2345],
                                 "amplitudes": [1.2, 0.0], "inject_into": "cell", "cells": [2]})
    desc = """IF_curr_delta driven by StepCurrentSources switching off the grid.  Cells 0, 1: 1.0 nA on
[5.03, 12.347): v peaks at the switch-off; threshold = v(12.347) -+ 1e-6 mV -> cell 0 spikes just
before 12.347, cell 1 never.  Cell 2 (v_thresh -56): the same pulse stays under threshold; 1.2
nA more on [15.0, 41.2345) drives drift spikes."""
    return "delta_current_switch", desc, m, lambda s: expect_counts(s, {"cell": [1, 0, None]})


NEST_CASES = [lambda: alpha_graze_pm(-1), lambda: alpha_graze_pm(+1), alpha_excursion_short,
              alpha_tau_equal, alpha_refractory, alpha_refrac_offgrid, alpha_offgrid_times,
              alpha_offgrid_delays, alpha_current_switch, delta_graze_drift, delta_refractory,
              delta_refrac_zero, delta_offgrid_times, delta_offgrid_delays, delta_current_switch]


def write_cell_case(name, desc, m, check):
    """As write_case, for the single-cell cases of SPEC section 8 (threshold::reference_cells)."""
    d = os.path.join(CASES_DIR, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(os.path.join(d, "expected"))
    path = os.path.join(d, "model.toml")
    with open(path, "w") as fh:
        fh.write(to_toml(m, f"{name}: {desc}\n\nExpected results: tests/reference/make_cases.py "
                            f"(ref_sim.py, 50 digits).  (src/threshold/reference_cells.rs also "
                            f"checks the closed forms and solvers against it, cell by cell.)"))
    loaded = ref_sim.load(path)
    sim = ref_sim.Sim(loaded, probe=True).run()
    assert not sim.ambiguities()
    check(sim)
    sim.write(os.path.join(d, "expected"))
    print(f"{name:24s} spikes {counts(sim, 'cell')}", flush=True)


HAND = [lambda: graze(-1), lambda: graze(+1), graze_slow, graze_second_hump, excursion, tau_equal, tau_near, second_flank,
        refractory_inputs, refrac_zero, chain, recurrent, init_above, grid_spikes, dc_switch,
        simultaneous, vinf_threshold, mixed_network]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--no-random", action="store_true")
    ap.add_argument("--no-hand", action="store_true")
    ap.add_argument("--n-random", type=int, default=10)
    a = ap.parse_args()
    for f in [] if a.no_hand else CELL_CASES:
        name, desc, m, check = f()
        if a.only and name not in a.only:
            continue
        write_cell_case(name, desc, m, check)
    for f in [] if a.no_hand else NEST_CASES:
        name, desc, m, check = f()
        if a.only and name not in a.only:
            continue
        write_case(name, desc, m, check)
    for f in [] if a.no_hand else HAND:
        name, desc, m, check = f()
        if a.only and name not in a.only:
            continue
        write_case(name, desc, m, check)
    if a.no_random:
        return
    made, seed = 0, 1000
    while made < a.n_random:
        seed += 1
        name = f"random_{seed}"
        m, desc = random_net(seed)
        if a.only and name not in a.only:
            made += 1
            continue
        # keep only well-conditioned draws: every non-spiking local maximum at least 1e-6 mV
        # below threshold, every crossing with slope >= 1e-3 mV/ms, and some activity
        try:
            sim = ref_sim.Sim(json.loads(json.dumps(m)), probe=True, max_spikes=450).run()
        except ref_sim.TooManySpikes as e:
            print(f"{name}: rejected ({e})")
            continue
        miss, slope = diagnostics(sim)
        n_cell = sum(1 for t, p, i in sim.spikes if sim.pops[p]["type"] == "IF_curr_exp")
        if miss < mpf("1e-6") or slope < mpf("1e-3") or n_cell < 3 or n_cell > 400 \
                or sim.ambiguities():
            print(f"{name}: rejected (miss {float(miss):.3g}, slope {float(slope):.3g}, "
                  f"{n_cell} spikes)")
            continue
        write_case(name, desc, m, None)
        made += 1


if __name__ == "__main__":
    main()

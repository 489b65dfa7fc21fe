#!/usr/bin/env python3
"""NEST's precise and grid neurons against the 50-digit reference on the IF_curr_alpha /
IF_curr_delta hard cases, through `exactlif export-pynn` (docs/nest_alpha_delta.md).

    python3 benchmarks/python/nest_alpha_delta.py [--steps 0.1 0.01 0.001] [--cases NAME ...]
        [--exactlif target/release/exactlif] [--python PYTHON_WITH_NEST_AND_PYNN]
        [--work DIR] [--json FILE] [--markdown FILE] [--figures DIR]

For every case tests/reference/cases/{alpha,delta}_*/ (model.toml, or cell.toml while the
engine did not run these cells) and every time step h:

1. the model file is copied with `timestep = h` (at h other than the case's own, only spikes
   are recorded) and exported with `exactlif export-pynn MODEL --out DIR`;
2. the exported DIR/model.py is run on NEST (`PYTHON DIR/model.py nest ...`) as
   - `precise`: `--spike-precision off_grid --nest-model iaf_psc_alpha_ps` (or
     iaf_psc_delta_ps): NEST's precise models;
   - `grid`: `--spike-precision on_grid`: what pyNN.nest creates then (iaf_psc_alpha,
     iaf_psc_delta);
   - `pynn_default` (case step only): `--spike-precision off_grid` without --nest-model, i.e.
     what a PyNN script gets by default (pyNN.nest 0.13: iaf_psc_alpha, iaf_psc_delta_ps);
3. `exactlif run MODEL --out DIR` at the case's own step, when the binary runs the cell type
   (otherwise the column says what the binary answered);
4. every result's spikes are matched one to one with the case's expected/spikes.csv (optimal
   non-crossing matching within --tolerance-ms, default 0.2 ms as in `exactlif compare`):
   missed (expected, unmatched), extra (found, unmatched), max and mean |dt| of the pairs;
   recorded v is compared sample by sample with expected/v.csv (max |dv|).

A run "agrees" when no spike is missed or extra and max |dt| <= --agree-ms (1e-6 ms). The
script writes a JSON file with every number, a markdown table, and (with --figures) the
figures of the docs. Nothing is estimated: every number comes from a run made here, and a run
that failed is shown as failed with its message.
"""
import argparse
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES = os.path.join(ROOT, "tests", "reference", "cases")
PRECISE = {"IF_curr_alpha": "iaf_psc_alpha_ps", "IF_curr_delta": "iaf_psc_delta_ps"}


# ---------------------------------------------------------------------------------------------
# cases and model files


def case_names(wanted=None):
    names = sorted(n for n in os.listdir(CASES)
                   if re.match(r"(alpha|delta)_", n) and os.path.isdir(os.path.join(CASES, n)))
    if wanted:
        missing = [w for w in wanted if w not in names]
        if missing:
            raise SystemExit("no such case: " + ", ".join(missing))
        names = [n for n in names if n in wanted]
    return names


def case_model(name):
    for f in ("model.toml", "cell.toml"):
        path = os.path.join(CASES, name, f)
        if os.path.exists(path):
            return path
    raise SystemExit("case %s has no model.toml / cell.toml" % name)


def case_info(name):
    """(cell type, timestep, first comment paragraph) of a case."""
    text = open(case_model(name)).read()
    types = set(re.findall(r'^cell_type\s*=\s*"(IF_curr_\w+)"', text, re.M))
    (ctype,) = types
    h = float(re.search(r"^timestep\s*=\s*([0-9.eE+-]+)", text, re.M).group(1))
    comment = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        line = line[1:].strip()
        if not line:
            break
        comment.append(line)
    return ctype, h, " ".join(comment)


def model_with_step(src, dst, h, spikes_only):
    """Writes the model file `src` to `dst` with timestep = h (and, if spikes_only, every
    population that records spikes records only spikes)."""
    text = open(src).read()
    text, n = re.subn(r"^timestep\s*=\s*[0-9.eE+-]+", "timestep = %r" % h, text, count=1,
                      flags=re.M)
    assert n == 1, src
    if spikes_only:
        text = re.sub(r'^record\s*=\s*\[[^\]]*"spikes"[^\]]*\]', 'record = ["spikes"]', text,
                      flags=re.M)
    with open(dst, "w") as f:
        f.write(text)
    return dst


# ---------------------------------------------------------------------------------------------
# running


def run(cmd, timeout=1800):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr, time.perf_counter() - t0


def last_lines(text, n=3):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return " | ".join(lines[-n:])


def export(exactlif, model, out, script=None):
    if os.path.isdir(out):
        shutil.rmtree(out)
    rc, so, se, _ = run([exactlif, "export-pynn", model, "--out", out])
    if rc != 0:
        return "export-pynn failed (exit %d): %s" % (rc, last_lines(se or so))
    if script:  # development only: a newer model.py than the one built into the binary
        shutil.copy(script, os.path.join(out, "model.py"))
    return None


def run_nest(python, export_dir, out, args):
    if os.path.isdir(out):
        shutil.rmtree(out)
    cmd = [python, os.path.join(export_dir, "model.py"), "nest", "--out", out] + args
    rc, so, se, wall = run(cmd)
    res = {"command": " ".join(["python", "model.py", "nest"] + args), "wall_s": wall}
    if rc != 0:
        res["error"] = "model.py failed (exit %d): %s" % (rc, last_lines(se or so))
        return res
    summ = json.load(open(os.path.join(out, "summary.json")))
    res["nest_model"] = summ.get("nest_model")
    res["warnings"] = summ.get("warnings", [])
    res["dir"] = out
    return res


def run_exactlif(exactlif, model, out):
    if os.path.isdir(out):
        shutil.rmtree(out)
    rc, so, se, wall = run([exactlif, "run", model, "--out", out])
    res = {"command": "exactlif run", "wall_s": wall}
    if rc != 0:
        res["error"] = "exactlif run refused or failed (exit %d): %s" % (rc, last_lines(se or so))
        return res
    res["dir"] = out
    return res


# ---------------------------------------------------------------------------------------------
# comparing


def read_spikes(path):
    trains = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            trains.setdefault((row["population"], int(row["neuron"])), []).append(
                float(row["time_ms"]))
    return {k: sorted(v) for k, v in trains.items()}


def read_signal(path, var):
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            out[(row["population"], int(row["neuron"]), round(float(row["time_ms"]), 9))] = \
                float(row[var])
    return out


def match(ref, cand, tol):
    """Optimal one-to-one non-crossing matching of two sorted trains: most pairs with
    |dt| <= tol, then least total |dt|. Returns the pairs (i, j)."""
    n, m = len(ref), len(cand)
    # best[i][j] = (pairs, -cost) over ref[:i], cand[:j]
    best = [[(0, 0.0)] * (m + 1) for _ in range(n + 1)]
    how = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cands = [(best[i - 1][j], 0), (best[i][j - 1], 1)]
            d = abs(cand[j - 1] - ref[i - 1])
            if d <= tol:
                p, c = best[i - 1][j - 1]
                cands.append(((p + 1, c - d), 2))
            (score, k) = max(cands, key=lambda x: (x[0][0], x[0][1]))
            best[i][j], how[i][j] = score, k
    pairs, i, j = [], n, m
    while i > 0 and j > 0:
        k = how[i][j]
        if k == 2:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif k == 0:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def compare(expected_dir, result_dir, tol, with_v):
    exp = read_spikes(os.path.join(expected_dir, "spikes.csv"))
    got = read_spikes(os.path.join(result_dir, "spikes.csv"))
    # (the cases record the spikes of their cells only, not of their sources)
    keys = sorted(set(exp) | set(got))
    out = {"expected": 0, "found": 0, "matched": 0, "missed": 0, "extra": 0, "max_dt": 0.0,
           "sum_dt": 0.0, "cells": {}}
    for k in keys:
        r, c = exp.get(k, []), got.get(k, [])
        pairs = match(r, c, tol)
        dts = [c[j] - r[i] for i, j in pairs]
        cell = {"expected": r, "found": c, "missed": len(r) - len(pairs),
                "extra": len(c) - len(pairs),
                "max_dt": max((abs(d) for d in dts), default=0.0)}
        out["cells"]["%s[%d]" % k] = cell
        out["expected"] += len(r)
        out["found"] += len(c)
        out["matched"] += len(pairs)
        out["missed"] += cell["missed"]
        out["extra"] += cell["extra"]
        out["max_dt"] = max(out["max_dt"], cell["max_dt"])
        out["sum_dt"] += sum(abs(d) for d in dts)
    out["mean_dt"] = out["sum_dt"] / out["matched"] if out["matched"] else None
    vpath = os.path.join(result_dir, "v.csv")
    if with_v and os.path.exists(vpath) and os.path.exists(os.path.join(expected_dir, "v.csv")):
        ev = read_signal(os.path.join(expected_dir, "v.csv"), "v")
        gv = read_signal(vpath, "v")
        common = [k for k in ev if k in gv]
        out["v_samples"] = len(common)
        out["v_max_dv"] = max((abs(ev[k] - gv[k]) for k in common), default=None)
    return out


def agrees(cmp, agree_ms):
    return cmp["missed"] == 0 and cmp["extra"] == 0 and cmp["max_dt"] <= agree_ms


# ---------------------------------------------------------------------------------------------
# the benchmark


def default_python():
    env = os.environ.get("NEST_PYTHON")
    if env:
        return env
    venv = os.path.join(ROOT, "target", "venv-test", "bin", "python")
    return venv if os.path.exists(venv) else sys.executable


def bench_case(name, a, log):
    ctype, h0, comment = case_info(name)
    model = case_model(name)
    wdir = os.path.join(a.work, name)
    os.makedirs(wdir, exist_ok=True)
    expected = os.path.join(CASES, name, "expected")
    res = {"case": name, "cell_type": ctype, "timestep": h0, "comment": comment,
           "model_file": os.path.relpath(model, ROOT), "runs": {}}

    def record(key, r, with_v):
        if "error" not in r:
            r["compare"] = compare(expected, r["dir"], a.tolerance_ms, with_v)
            r["agrees"] = agrees(r["compare"], a.agree_ms)
        res["runs"][key] = r
        c = r.get("compare")
        log("  %-24s %s" % (key, r["error"] if "error" in r else
                            "%s: missed %d extra %d max|dt| %.3g ms%s" % (
                                r.get("nest_model", "exactlif"), c["missed"], c["extra"],
                                c["max_dt"],
                                "" if c.get("v_max_dv") is None else
                                ", max|dv| %.3g mV" % c["v_max_dv"])))

    # exactlif itself, at the case's step
    record("exactlif", run_exactlif(a.exactlif, model, os.path.join(wdir, "exactlif")), True)
    for h in a.steps:
        own = abs(h - h0) < 1e-12
        m = model_with_step(model, os.path.join(wdir, "model_h%g.toml" % h), h, not own)
        exp_dir = os.path.join(wdir, "export_h%g" % h)
        err = export(a.exactlif, m, exp_dir, a.script)
        variants = [("precise", ["--spike-precision", "off_grid", "--nest-model",
                                 PRECISE[ctype]]),
                    ("grid", ["--spike-precision", "on_grid"])]
        if own:
            variants.append(("pynn_default", ["--spike-precision", "off_grid"]))
        for kind, args in variants:
            key = "%s h=%g" % (kind, h)
            if err:
                record(key, {"error": err}, False)
                continue
            record(key, run_nest(a.python, exp_dir, os.path.join(wdir, "nest_%s_h%g" % (
                kind, h)), args), own)
    return res


def fmt_dt(x):
    if x == 0:
        return "0"
    if x >= 0.01:
        return "%.3f" % x
    return "%.0e" % x


def cell_text(r):
    if r is None:
        return "-"
    if "error" in r:
        return "failed"
    c = r["compare"]
    s = "%d/%d" % (c["missed"], c["extra"])
    if c["matched"]:
        s += ", " + fmt_dt(c["max_dt"])
    return ("**ok** " if r["agrees"] else "") + s


def markdown(results, a):
    steps = a.steps
    h0s = {r["timestep"] for r in results}
    head = ["case", "spikes", "exactlif run"]
    keys = ["exactlif"]
    for h in steps:
        head.append("NEST precise h=%g" % h)
        keys.append("precise h=%g" % h)
    for h in steps:
        head.append("NEST grid h=%g" % h)
        keys.append("grid h=%g" % h)
    for h in sorted(h0s):
        head.append("pyNN.nest default h=%g" % h)
        keys.append("pynn_default h=%g" % h)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    totals = {k: [0, 0] for k in keys}
    for r in results:
        first = next((x for x in r["runs"].values() if "compare" in x), None)
        n = first["compare"]["expected"] if first else "?"
        row = [r["case"], str(n)]
        for k in keys:
            x = r["runs"].get(k)
            row.append(cell_text(x))
            if x is not None:
                totals[k][1] += 1
                totals[k][0] += bool(x.get("agrees"))
        lines.append("| " + " | ".join(row) + " |")
    lines.append("| **agree** | | " + " | ".join(
        "%d of %d" % tuple(totals[k]) if totals[k][1] else "-" for k in keys) + " |")
    return "\n".join(lines) + "\n"


def details(results):
    """Per-case list of the NEST models used, warnings and max |dv| at the case step."""
    out = []
    for r in results:
        out.append("* **%s** (%s): %s" % (r["case"], r["cell_type"], r["comment"]))
        for k, x in r["runs"].items():
            if "error" in x:
                out.append("  * %s: %s" % (k, x["error"]))
                continue
            c = x["compare"]
            bits = ["%s" % x.get("nest_model", "exactlif"),
                    "missed %d, extra %d of %d" % (c["missed"], c["extra"], c["expected"])]
            if c["matched"]:
                bits.append("max |dt| %s ms, mean %s ms" % (fmt_dt(c["max_dt"]),
                                                             fmt_dt(c["mean_dt"])))
            if c.get("v_max_dv") is not None:
                bits.append("max |dv| %.3g mV over %d samples" % (c["v_max_dv"],
                                                                  c["v_samples"]))
            wrong = ["%s: expected %s, got %s" % (cell, _short(v["expected"]), _short(v["found"]))
                     for cell, v in c["cells"].items() if v["missed"] or v["extra"]]
            if wrong:
                bits.append("cells with missed/extra spikes: " + "; ".join(wrong[:4]) +
                            ("; ..." if len(wrong) > 4 else ""))
            if x.get("warnings"):
                bits.append("warnings: " + "; ".join(sorted(set(x["warnings"]))))
            out.append("  * %s: %s" % (k, "; ".join(bits)))
    return "\n".join(out) + "\n"


def _short(ts):
    if len(ts) > 4:
        return "[%s, ... (%d)]" % (", ".join("%.6g" % t for t in ts[:3]), len(ts))
    return "[" + ", ".join(repr(t) for t in ts) + "]"


# ---------------------------------------------------------------------------------------------
# figures


def figures(results, a):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    os.makedirs(a.figures, exist_ok=True)
    written = []
    # 1. spike-time error per case and run
    kinds = [("precise h=%g" % h, "NEST precise, h = %g" % h) for h in a.steps] + \
            [("grid h=%g" % h, "NEST grid, h = %g" % h) for h in a.steps[:1]] + \
            [("exactlif", "exactlif run")]
    names = [r["case"] for r in results]
    fig, ax = plt.subplots(figsize=(11, 5.5))
    width = 0.8 / len(kinds)
    floor = 1e-16
    for k, (key, label) in enumerate(kinds):
        xs, ys, bad = [], [], []
        for i, r in enumerate(results):
            x = r["runs"].get(key)
            if not x or "compare" not in x:
                continue
            c = x["compare"]
            xs.append(i + (k - len(kinds) / 2 + 0.5) * width)
            ys.append(max(c["max_dt"], floor))
            bad.append(c["missed"] + c["extra"] > 0)
        if not xs:
            continue
        bars = ax.bar(xs, ys, width=width, label=label, bottom=floor * 0.5)
        for xx, yy, b in zip(xs, ys, bad):
            if b:
                ax.plot(xx, yy * 2.5, marker="x", color="k", markersize=5)
    ax.set_yscale("log")
    ax.set_ylim(floor * 0.5, 10)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=55, ha="right", fontsize=8)
    ax.set_ylabel("max |spike time - 50-digit reference| (ms)")
    ax.set_title("Spike-time error per case (x: a spike missed or extra, tolerance %g ms)"
                 % a.tolerance_ms, fontsize=10)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    path = os.path.join(a.figures, "nest_alpha_delta_spike_error.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)

    # 2. v near a missed graze / excursion, with the threshold
    panels = [("alpha_graze_above", "cell", 0, (4.9, 6.6)),
              ("alpha_excursion_short", "cell", 1, (10.7, 11.2)),
              ("alpha_current_switch", "cell", 0, (11.6, 12.8))]
    panels = [p for p in panels if p[0] in names]
    if panels:
        fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.2))
        axes = np.atleast_1d(axes)
        for ax, (case, pop, cell, (t0, t1)) in zip(axes, panels):
            r = next(x for x in results if x["case"] == case)
            th = _threshold(case, cell)
            fine = _reference_trace(case, pop, cell, t0, t1)
            if fine is not None:
                ax.plot(fine[0], fine[1], "k-", lw=1, label="reference (50 digits)")
            for key, style, label in [("precise h=%g" % r["timestep"], "o", "NEST precise"),
                                      ("grid h=%g" % r["timestep"], "s", "NEST grid")]:
                x = r["runs"].get(key)
                if not x or "dir" not in x:
                    continue
                vt = _trace(os.path.join(x["dir"], "v.csv"), pop, cell, t0, t1)
                if vt:
                    ax.plot(vt[0], vt[1], style, ms=4, mfc="none",
                            label="%s (%s) samples" % (label, x.get("nest_model")))
                sp = x["compare"]["cells"].get("%s[%d]" % (pop, cell), {}).get("found", [])
                for t in [t for t in sp if t0 <= t <= t1]:
                    ax.axvline(t, color="C1" if style == "o" else "C2", ls=":", lw=1)
            exp_sp = r["runs"]["precise h=%g" % r["timestep"]]["compare"]["cells"].get(
                "%s[%d]" % (pop, cell), {}).get("expected", []) \
                if "compare" in r["runs"].get("precise h=%g" % r["timestep"], {}) else []
            for t in [t for t in exp_sp if t0 <= t <= t1]:
                ax.axvline(t, color="k", ls="--", lw=1, label="reference spike %.6f" % t)
            ax.axhline(th, color="r", lw=0.8, label="v_thresh")
            ax.set_xlim(t0, t1)
            if fine is not None:
                lo, hi = min(fine[1]), max(fine[1])
                ax.set_ylim(lo - 0.15 * (hi - lo), hi + 0.15 * (hi - lo))
            ax.set_title(case + " cell %d" % cell, fontsize=10)
            ax.set_xlabel("t (ms)")
            ax.set_ylabel("v (mV)")
            ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        path = os.path.join(a.figures, "nest_alpha_delta_graze.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def _threshold(case, cell):
    text = open(case_model(case)).read()
    m = re.search(r"^v_thresh\s*=\s*(.+)$", text, re.M)
    v = json.loads(m.group(1))
    return v[cell] if isinstance(v, list) else v


def _trace(path, pop, cell, t0, t1):
    if not os.path.exists(path):
        return None
    ts, vs = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["population"] == pop and int(row["neuron"]) == cell:
                t = float(row["time_ms"])
                if t0 <= t <= t1:
                    ts.append(t)
                    vs.append(float(row["v"]))
    return ts, vs


def _reference_trace(case, pop, cell, t0, t1, n=400):
    """v of one cell on a fine grid from the 50-digit reference simulator (needs mpmath),
    with the threshold raised out of reach so that the trajectory continues past a spike."""
    try:
        sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
        import ref_sim
        from ref_sim import mpf, ep_eval
    except ImportError:
        return None
    m = ref_sim.load(case_model(case))
    sim = ref_sim.Sim(m, probe=True).run()
    c = sim.by_label[pop]["cells"][cell]
    ts, vs = [], []
    for k in range(n + 1):
        t = t0 + (t1 - t0) * k / n
        for s0, s1, terms in c.segments:
            if s0 <= t <= s1:
                ts.append(t)
                vs.append(float(ep_eval(terms, mpf(t) - s0)))
                break
    return ts, vs


# ---------------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*", help="case names (default: every alpha_* / delta_*)")
    ap.add_argument("--steps", nargs="*", type=float, default=[0.1, 0.01, 0.001])
    ap.add_argument("--exactlif", default=os.path.join(ROOT, "target", "release", "exactlif"))
    ap.add_argument("--python", default=default_python(),
                    help="Python with NEST and PyNN for model.py [default: $NEST_PYTHON or "
                         "target/venv-test/bin/python]")
    ap.add_argument("--script", help=argparse.SUPPRESS)  # development: replaces model.py
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "nest_alpha_delta"))
    ap.add_argument("--tolerance-ms", type=float, default=0.2)
    ap.add_argument("--agree-ms", type=float, default=1e-6)
    ap.add_argument("--json", help="write every number here")
    ap.add_argument("--markdown", help="write the tables here")
    ap.add_argument("--figures", help="write the figures into this directory")
    a = ap.parse_args(argv)
    a.exactlif = os.path.abspath(a.exactlif)
    rc, so, se, _ = run([a.python, "-c", "import nest, pyNN; print(nest.__version__, "
                                         "pyNN.__version__)"])
    versions = (so.strip().splitlines() or ["?"])[-1]
    if rc != 0:
        raise SystemExit("%s cannot import nest and pyNN: %s" % (a.python, last_lines(se)))
    rc2, so2, _, _ = run([a.exactlif, "--version"])
    log = lambda s: print(s, flush=True)
    log("NEST, PyNN: %s; %s" % (versions, so2.strip()))
    results = []
    for name in case_names(a.cases):
        log(name)
        results.append(bench_case(name, a, log))
    table = markdown(results, a)
    print()
    print(table)
    meta = {"nest_pynn": versions, "exactlif": so2.strip(), "steps": a.steps,
            "tolerance_ms": a.tolerance_ms, "agree_ms": a.agree_ms,
            "script_override": bool(a.script)}
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("<!-- written by benchmarks/python/nest_alpha_delta.py: %s -->\n\n"
                    % json.dumps(meta))
            f.write(table + "\n" + details(results))
    if a.figures:
        for p in figures(results, a):
            log("figure: " + os.path.relpath(p, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())

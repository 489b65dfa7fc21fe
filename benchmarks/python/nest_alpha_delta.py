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
   missed (expected, unmatched), extra (found, unmatched), max and mean |dt| of the pairs (and,
   for runs with missed or extra spikes, the same within 1 ms: how far spikes moved);
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
#: A second, loose matching: how far a spike moved when it moved more than --tolerance-ms.
WIDE_MS = 1.0


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
        wide = match(r, c, WIDE_MS)
        cell = {"expected": r, "found": c, "missed": len(r) - len(pairs),
                "extra": len(c) - len(pairs),
                "max_dt": max((abs(d) for d in dts), default=0.0),
                "wide_unmatched": len(r) + len(c) - 2 * len(wide),
                "wide_max_dt": max((abs(c[j] - r[i]) for i, j in wide), default=0.0)}
        out["cells"]["%s[%d]" % k] = cell
        out["expected"] += len(r)
        out["found"] += len(c)
        out["matched"] += len(pairs)
        out["missed"] += cell["missed"]
        out["extra"] += cell["extra"]
        out["max_dt"] = max(out["max_dt"], cell["max_dt"])
        out["sum_dt"] += sum(abs(d) for d in dts)
        out["wide_unmatched"] = out.get("wide_unmatched", 0) + cell["wide_unmatched"]
        out["wide_max_dt"] = max(out.get("wide_max_dt", 0.0), cell["wide_max_dt"])
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
            if c.get("wide_unmatched") is not None and (c["missed"] or c["extra"]):
                bits.append("matched within %g ms: %d unmatched, max |dt| %s ms" % (
                    WIDE_MS, c["wide_unmatched"], fmt_dt(c["wide_max_dt"])))
            if c.get("v_max_dv") is not None:
                bits.append("max |dv| %.3g mV over %d samples" % (c["v_max_dv"],
                                                                  c["v_samples"]))
            wrong = ["%s: expected %s, got %s" % (cell, _short(v["expected"]), _short(v["found"]))
                     for cell, v in c["cells"].items() if v["missed"] or v["extra"]]
            if wrong:
                bits.append("cells with missed/extra spikes: " + "; ".join(wrong[:4]) +
                            ("; ..." if len(wrong) > 4 else ""))
            out.append("  * %s: %s" % (k, "; ".join(bits)))
        warned = {}
        for k, x in r["runs"].items():
            for w in x.get("warnings", []):
                warned.setdefault(w, []).append(k)
        for w, keys in sorted(warned.items()):
            out.append("  * warning (%s): %s" % (
                "every NEST run" if len(keys) == sum(1 for k in r["runs"] if k != "exactlif")
                else ", ".join(keys), w))
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
    # 1. spike-time error and missed / extra spikes, per case and run, as a coloured table
    h0 = min(r["timestep"] for r in results)
    cols = [("exactlif", "exactlif\nrun")] + \
           [("precise h=%g" % h, "NEST precise\nh = %g" % h) for h in a.steps] + \
           [("grid h=%g" % h, "NEST grid\nh = %g" % h) for h in a.steps] + \
           [("pynn_default h=%g" % h0, "pyNN.nest\ndefault h = %g" % h0)]
    cols = [c for c in cols if any(c[0] in r["runs"] for r in results)]
    grid = np.full((len(results), len(cols)), np.nan)
    fig, ax = plt.subplots(figsize=(1.25 * len(cols) + 3, 0.36 * len(results) + 2))
    for i, r in enumerate(results):
        for j, (key, _) in enumerate(cols):
            x = r["runs"].get(key)
            if not x:
                continue
            if "compare" not in x:
                ax.text(j, i, "failed", ha="center", va="center", fontsize=6.5, color="0.3")
                continue
            c = x["compare"]
            if c["matched"]:
                grid[i, j] = math.log10(max(c["max_dt"], 1e-16))
            text = "%d/%d" % (c["missed"], c["extra"]) if c["missed"] + c["extra"] else ""
            if c["matched"]:
                text += (" " if text else "") + fmt_dt(c["max_dt"])
            ax.text(j, i, text or "no spikes", ha="center", va="center", fontsize=6.5,
                    fontweight="bold" if x.get("agrees") else "normal",
                    color="k" if x.get("agrees") else "darkred")
    im = ax.imshow(grid, cmap="viridis_r", vmin=-16, vmax=0, aspect="auto", alpha=0.55)
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels([c[1] for c in cols], fontsize=7.5)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(results)))
    ax.set_yticklabels(["%s (%d)" % (r["case"], next(
        (x["compare"]["expected"] for x in r["runs"].values() if "compare" in x), 0))
        for r in results], fontsize=7.5)
    cb = fig.colorbar(im, ax=ax, fraction=0.03, pad=0.01)
    cb.set_label("log10 max |spike time - reference| (ms)", fontsize=8)
    ax.set_xlabel("missed/extra spikes and max |dt| (ms) against the 50-digit reference, per "
                  "case (expected spikes); bold: agrees (none missed or extra, |dt| <= %g ms)"
                  % a.agree_ms, fontsize=8)
    fig.tight_layout()
    path = os.path.join(a.figures, "nest_alpha_delta_spike_error.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)

    # 2. v near a missed graze / excursion / switch-off peak, with the threshold
    panels = [("alpha_graze_above", "cell", 0), ("alpha_excursion_short", "cell", 1),
              ("alpha_current_switch", "cell", 0)]
    names = [r["case"] for r in results]
    panels = [p for p in panels if p[0] in names]
    if panels:
        fig, axes = plt.subplots(2, len(panels), figsize=(5.2 * len(panels), 7.5),
                                 squeeze=False)
        for k, (case, pop, cell) in enumerate(panels):
            r = next(x for x in results if x["case"] == case)
            th = _threshold(case, cell)
            runs = [(key, style, label) for key, style, label in [
                ("precise h=%g" % r["timestep"], "o", "NEST precise"),
                ("grid h=%g" % r["timestep"], "s", "NEST grid")]
                if "dir" in r["runs"].get(key, {})]
            ref = r["runs"].get("precise h=%g" % r["timestep"], {}).get("compare", {}) \
                .get("cells", {}).get("%s[%d]" % (pop, cell), {}).get("expected", [])
            ts = ref[0] if ref else None
            if ts is None:
                continue
            t0, t1 = ts - 0.6, ts + 0.5
            top, bottom = axes[0, k], axes[1, k]
            fine = _reference_trace(case, pop, cell, t0, t1, free=False)
            w = 0.25
            free = _reference_trace(case, pop, cell, ts - w, ts + w, free=True)
            seen = []
            if fine:
                top.plot(fine[0], fine[1], "k-", lw=1, label="reference (50 digits)")
            if free:
                bottom.plot(free[0], [v - th for v in free[1]], "k-", lw=1,
                            label="reference, no reset")
                seen += [v - th for v in free[1]]
            lows = []
            for key, style, label in runs:
                x = r["runs"][key]
                vt = _trace(os.path.join(x["dir"], "v.csv"), pop, cell, t0, t1)
                if vt and vt[0]:
                    lab = "%s (%s), h = %g" % (label, x.get("nest_model"), r["timestep"])
                    top.plot(vt[0], vt[1], style, ms=5, mfc="none", label=lab)
                    near = [(t, v) for t, v in zip(*vt) if ts - w <= t <= ts + w]
                    bottom.plot([t for t, _ in near], [v - th for _, v in near], style, ms=5,
                                mfc="none", label=lab)
                    seen += [v - th for _, v in near]
                    lows += [v for t, v in zip(*vt) if t <= ts + 0.05]
                sp = x["compare"]["cells"].get("%s[%d]" % (pop, cell), {}).get("found", [])
                for t in [t for t in sp if t0 <= t <= t1]:
                    top.axvline(t, color="C0" if style == "o" else "C1", ls=":", lw=1.2,
                                label="%s spike %.4f" % (label, t))
            top.axvline(ts, color="k", ls="--", lw=0.8, label="reference spike %.6f" % ts)
            top.axhline(th, color="r", lw=0.8, label="v_thresh")
            bottom.axhline(0, color="r", lw=0.8, label="v_thresh")
            bottom.axvline(ts, color="k", ls="--", lw=0.8)
            lo = min(lows + [th - 0.5])
            top.set_ylim(lo - 0.1 * (th - lo), th + 0.2 * (th - lo))
            top.set_xlim(t0, t1)
            bottom.set_xlim(ts - w, ts + w)
            bottom.set_yscale("symlog", linthresh=1e-6)
            if seen:
                bottom.set_ylim(min(min(seen) * 2, -1e-5), max(max(seen) * 5, 1e-5))
            top.set_title("%s, cell %d" % (case, cell), fontsize=10)
            top.set_ylabel("v (mV)")
            bottom.set_ylabel("v - v_thresh (mV, symlog)")
            bottom.set_xlabel("t (ms)")
            top.legend(fontsize=6.5, loc="lower left")
            bottom.legend(fontsize=6.5, loc="lower left")
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


def _reference_trace(case, pop, cell, t0, t1, free, n=600):
    """v of one cell on a fine grid from the 50-digit reference simulator (needs mpmath;
    None without it). free: the threshold of the population raised out of reach, so that the
    trajectory goes on through the peak instead of resetting."""
    try:
        sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
        import ref_sim
        from ref_sim import mpf, ep_eval
    except ImportError:
        return None
    m = ref_sim.load(case_model(case))
    if free:
        for p in m["populations"]:
            if p["label"] == pop:
                p["parameters"]["v_thresh"] = 1.0e6
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
        else:  # refractory (no free segment): v is held at v_reset
            ts.append(t)
            vs.append(float(c.vreset))
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
    ap.add_argument("--from-json", help="redo the table and figures from a JSON file this "
                                        "script wrote (its work directory must still exist "
                                        "for the v traces); runs nothing")
    a = ap.parse_args(argv)
    a.exactlif = os.path.abspath(a.exactlif)
    if a.from_json:
        data = json.load(open(a.from_json))
        a.steps = data["meta"]["steps"]
        a.tolerance_ms, a.agree_ms = data["meta"]["tolerance_ms"], data["meta"]["agree_ms"]
        results = data["results"]
        if a.cases:
            results = [r for r in results if r["case"] in a.cases]
        print(markdown(results, a))
        if a.markdown:
            with open(a.markdown, "w") as f:
                f.write("<!-- written by benchmarks/python/nest_alpha_delta.py: %s -->\n\n"
                        % json.dumps(data["meta"]))
                f.write(markdown(results, a) + "\n" + details(results))
        if a.figures:
            for p in figures(results, a):
                print("figure: " + os.path.relpath(p, ROOT))
        return 0
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

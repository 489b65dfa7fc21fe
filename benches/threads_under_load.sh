#!/usr/bin/env bash
# One thread against two on CUBA, with and without a competing CPU load (BENCHMARKS.md,
# "Threads under load"; issue 14, item 4).
#
#   benches/threads_under_load.sh ROUNDS LOAD BUILD...
#
# BUILD is `label=path/to/exactlif` (e.g. `after=target/release/exactlif`). Each round runs
# `exactlif run fixtures/cuba.toml --threads T --out DIR` for every build and T = 1, 2,
# interleaved: the order of the builds and of T is reversed every other round, so that no
# configuration always runs first. LOAD = N starts N busy loops (`while :; do :; done`, one
# per core on the 2-core machine of BENCHMARKS.md: N = 2) before the first run and kills them
# (by their process ids) after the last; LOAD = 0 starts none. Prints one line per run:
# `label threads seconds` (the simulation's wall time, from the run's summary line), then the
# median per build and thread count and the ratio of the medians.
set -euo pipefail

rounds=$1
load=$2
shift 2
builds=("$@")
out=$(mktemp -d)
pids=()
stop_load() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$out"
}
trap stop_load EXIT
for _ in $(seq "$load"); do
    (while :; do :; done) &
    pids+=($!)
done
[ "$load" -gt 0 ] && sleep 1

results=()
for r in $(seq "$rounds"); do
    if [ $((r % 2)) = 1 ]; then
        order=(1 2)
        list=("${builds[@]}")
    else
        order=(2 1)
        list=()
        for ((i = ${#builds[@]} - 1; i >= 0; i--)); do list+=("${builds[$i]}"); done
    fi
    for b in "${list[@]}"; do
        label=${b%%=*}
        bin=${b#*=}
        for t in "${order[@]}"; do
            s=$("$bin" run fixtures/cuba.toml --threads "$t" --out "$out/$label-$t" 2>&1 |
                sed -n 's/.* in \([0-9.]*\) s wall time.*/\1/p')
            echo "$label $t $s"
            results+=("$label $t $s")
        done
    done
done

printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics as st, collections
d = collections.defaultdict(list)
for line in sys.stdin:
    label, t, s = line.split()
    d[label, t].append(float(s))
for label in dict.fromkeys(k[0] for k in d):
    one, two, n = st.median(d[label, "1"]), st.median(d[label, "2"]), len(d[label, "1"])
    print(f"{label}: median 1 thread {one:.3f} s, 2 threads {two:.3f} s, ratio {two / one:.2f}"
          f" ({n} runs each)")
'

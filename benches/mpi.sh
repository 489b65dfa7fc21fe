#!/usr/bin/env bash
# Several processes (issue 15): the measurements of BENCHMARKS.md, "Several processes".
# Needs the MPI build: cargo build --release --features mpi --bin exactlif --example mpi_exchange
#   benches/mpi.sh [REPS]     (REPS interleaved runs of each configuration, default 7)
# Prints: per-rank peak memory and build time of the sparse fixture at 1, 2, 4 ranks; the
# simulation wall time (summary.json's wall_time_s) of CUBA and sparse as 1 process x 1 thread,
# 1 x 2 threads and 2 ranks x 1 thread, interleaved, medians; the ranks' imbalance and windows;
# the exchange's cost per window (examples/mpi_exchange.rs) at 2, 3, 4 ranks.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-7}
bin=target/release/exactlif
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))" "$1" "$2"; }

echo "== memory and build per rank: sparse (peak RSS of each rank, KB; build_time_s of rank 0)"
for np in 1 2 4; do
    mpirun -np "$np" --oversubscribe /usr/bin/time -f "rank-rss %M" "$bin" run fixtures/sparse.toml \
        --out "$tmp/mem$np" 2>&1 >/dev/null | grep rank-rss | sort | tr '\n' ' '
    echo " <- $np ranks; build $(field "$tmp/mem$np/summary.json" build_time_s) s"
done

echo "== wall time (s), $reps interleaved runs each"
for model in cuba sparse; do
    : > "$tmp/$model.times"
    for r in $(seq "$reps"); do
        "$bin" run "fixtures/$model.toml" --out "$tmp/a" >/dev/null 2>&1
        echo "1x1 $(field "$tmp/a/summary.json" wall_time_s)" >> "$tmp/$model.times"
        "$bin" run "fixtures/$model.toml" --out "$tmp/b" --threads 2 >/dev/null 2>&1
        echo "1x2 $(field "$tmp/b/summary.json" wall_time_s)" >> "$tmp/$model.times"
        mpirun -np 2 "$bin" run "fixtures/$model.toml" --out "$tmp/c" >/dev/null 2>&1
        echo "2x1 $(field "$tmp/c/summary.json" wall_time_s) $(field "$tmp/c/summary.json" rank_imbalance) $(field "$tmp/c/summary.json" rank_windows)" >> "$tmp/$model.times"
    done
    python3 - "$model" "$tmp/$model.times" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[2])]
for k in ['1x1', '1x2', '2x1']:
    xs = sorted(float(r[1]) for r in rows if r[0] == k)
    extra = ''
    if k == '2x1':
        imb = statistics.median(float(r[2]) for r in rows if r[0] == k)
        extra = f'  imbalance {imb:.3f}, windows {rows[-1][3]}'
    print(f'{sys.argv[1]:7s} {k}: median {statistics.median(xs):.3f} s (min {xs[0]:.3f}, max {xs[-1]:.3f}){extra}')
PY
done

echo "== imbalance and windows at 2-4 ranks (sparse, 1 thread each; 3 and 4 oversubscribed)"
for np in 2 3 4; do
    mpirun -np "$np" --oversubscribe "$bin" run fixtures/sparse.toml --out "$tmp/i$np" >/dev/null 2>&1
    echo "$np ranks: imbalance $(field "$tmp/i$np/summary.json" rank_imbalance), windows $(field "$tmp/i$np/summary.json" rank_windows), spikes $(python3 -c "import json;print(json.load(open('$tmp/i$np/summary.json'))['events']['spikes'])"), wall $(field "$tmp/i$np/summary.json" wall_time_s) s"
done

echo "== exchange per window (examples/mpi_exchange.rs)"
for np in 2 3 4; do
    mpirun -np "$np" --oversubscribe target/release/examples/mpi_exchange
done

#!/usr/bin/env bash
# Whole-process performance figures, side by side in one run (issue 12).
#
#   scripts/perf.sh [BEFORE_REV] [SECONDS]
#
# Builds ewsmon at the working tree ("now") and, when BEFORE_REV is given, at
# that revision ("before", in a temporary git worktree), and for each runs:
#
#   dashboard  ewsmon --sim-rate 1000 in a detached 160x48 tmux session for
#              SECONDS (default 20): CPU share of one core (user+system from
#              /proc/PID/stat, the embedded simulator included), and, where the
#              binary writes them ($EWSMON_FRAME_STATS), updates, View calls,
#              frames drawn and the arrival-to-frame delay quantiles.
#
# then prints each figure and the ratio now/before. The machine is shared:
# run it twice and keep the calmer run; docs/performance.md says which.
set -euo pipefail
before=${1:-}
secs=${2:-20}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'for s in "$work"/sock.*; do [ -e "$s" ] && tmux -S "$s" kill-server 2>/dev/null; done; [ -d "$work/wt" ] && git worktree remove --force "$work/wt"; rm -rf "$work"' EXIT

go build -o "$work/now" .
bins=(now)
if [ -n "$before" ]; then
  git worktree add -q --detach "$work/wt" "$before"
  (cd "$work/wt" && go build -o "$work/before" .)
  bins=(before now)
fi
hz=$(getconf CLK_TCK)

# dashboard NAME: prints "cpu_pct views frames updates p50 p99 max".
dashboard() {
  local name=$1 sock="$work/sock.$1" stats="$work/$1.frames"
  EWSMON_FRAME_STATS="$stats" tmux -S "$sock" new-session -d -x 160 -y 48 \
    "EWSMON_FRAME_STATS=$stats $work/$name --sim-rate 1000 --max-events 100000"
  sleep 5 # subscribe, first sync, the generator at full rate
  local pid
  pid=$(pgrep -f "^$work/$name --sim-rate 1000" | head -1)
  local t0 t1
  t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  sleep "$secs"
  t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  tmux -S "$sock" send-keys q
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  tmux -S "$sock" kill-server 2>/dev/null || true
  local cpu
  cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$secs" 'BEGIN { printf "%.1f", d / hz / s * 100 }')
  if [ -s "$stats" ]; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sys.argv[2], d["views"], d["frames"], d["updates"], d["arrival_to_frame_p50_ms"], d["arrival_to_frame_p99_ms"], d["arrival_to_frame_max_ms"])' "$stats" "$cpu"
  else
    echo "$cpu - - - - - -"
  fi
}

declare -A res
for b in "${bins[@]}"; do
  res[$b]=$(dashboard "$b")
done

echo "scripts/perf.sh ${before:+$before }$secs · $(date -u +%Y-%m-%dT%H:%MZ) · $(nproc) CPUs · $(go version | awk '{print $3}') · commit $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)"
printf '%-34s' "dashboard, --sim-rate 1000, 160x48"
for b in "${bins[@]}"; do printf '%14s' "$b"; done
[ ${#bins[@]} -eq 2 ] && printf '%10s' "now/before"
echo
fields=("CPU, % of one core" "View calls" "frames drawn" "updates" "arrival→frame p50 ms" "arrival→frame p99 ms" "arrival→frame max ms")
for i in "${!fields[@]}"; do
  printf '  %-32s' "${fields[$i]}"
  vals=()
  for b in "${bins[@]}"; do
    v=$(echo "${res[$b]}" | awk -v f=$((i + 1)) '{print $f}')
    vals+=("$v")
    printf '%14s' "$v"
  done
  if [ ${#bins[@]} -eq 2 ]; then
    awk -v a="${vals[0]}" -v b="${vals[1]}" 'BEGIN { if (a + 0 > 0 && b != "-") printf "%10.2f", b / a; else printf "%10s", "-" }'
  fi
  echo
done
echo "  (View calls per second = View calls / $secs; the old binary writes no frame figures)"

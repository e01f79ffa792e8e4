#!/usr/bin/env bash
# Measures the dashboard's CPU use at rest: ewsmon on its embedded simulator with
# no demo activity, in a detached 140x40 tmux session, for SECONDS (default 120).
# Prints the share of one core used (user+system, from /proc/PID/stat).
set -euo pipefail
secs=${1:-120}
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/ewsmon
go build -o "$bin" .
sock=$(mktemp -u)
tmux -S "$sock" new-session -d -x 140 -y 40 "$bin --sim-rate 0"
trap 'tmux -S "$sock" kill-server 2>/dev/null || true' EXIT
sleep 5 # let it subscribe and draw the first screen
pid=$(pgrep -f "^$bin --sim-rate 0" | head -1)
t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
sleep "$secs"
t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
hz=$(getconf CLK_TCK)
awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$secs" 'BEGIN { printf "idle CPU: %.2f%% of one core (%.2f s of CPU in %d s)\n", d / hz / s * 100, d / hz, s }'

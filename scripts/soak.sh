#!/usr/bin/env bash
# Soak: the reliability test (reliability_test.go) with many faults per mode,
# printing its figures: faults by kind, events produced, delivered,
# duplicated, lost, lost inside gaps and reconciled. docs/reliability.md
# records a run. The whole verbose output (failures with their context
# lines) is kept in a file, named at the end.
#
#   scripts/soak.sh [FAULTS_PER_MODE]     (default 1000; ~15 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
log="$(mktemp "${TMPDIR:-/tmp}/ewsmon-soak.XXXXXX")"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) · $(nproc) cores $(uname -m) · $(go version | cut -d' ' -f3) · $(git rev-parse --short HEAD 2>/dev/null || echo '?') · $n faults per mode"
EWSMON_SOAK_FAULTS="$n" go test -run '^TestReliability$' -count=1 -v -timeout 3h ./internal/cli >"$log" 2>&1 || true
grep -E '^(pull|streaming): |FAIL|^ok|panic|reliability_test.go:[0-9]+: (lost|[0-9]+ events|[0-9]+ of|pull dup|only|bad|gap )' "$log" || true
echo "# whole output: $log"

#!/usr/bin/env bash
# Soak: the reliability test (reliability_test.go) with many faults per mode,
# printing its figures: faults by kind, events produced, delivered,
# duplicated, lost, lost inside gaps and reconciled. docs/reliability.md
# records a run.
#
#   scripts/soak.sh [FAULTS_PER_MODE]     (default 1000; ~15 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) · $(nproc) cores $(uname -m) · $(go version | cut -d' ' -f3) · $n faults per mode"
EWSMON_SOAK_FAULTS="$n" go test -run '^TestReliability$' -count=1 -timeout 3h . 2>&1 |
  grep -E '^(pull|streaming): |FAIL|^ok|panic|reliability_test.go:[0-9]+: (lost|[0-9]+ events|pull dup|only|bad|gap )' || true

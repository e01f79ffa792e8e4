#!/usr/bin/env bash
# Peak RSS of `ewsmon watch` against five hostile servers (scripts/hostile):
#   stream    a GetStreamingEvents envelope that never closes (bytes forever)
#   elements  the same, made of the smallest elements
#   text    a GetFolder answer whose text node never ends (chunked)
#   length  a GetFolder answer announcing Content-Length 1 GiB, and sending
#   gzip    a GetFolder answer gzip-encoded, inflating to 2 GiB
# Each run is bounded by --duration (default 20s, first argument) and by
# timeout(1). Prints a table: case, peak RSS (MB), exit status, ewsmon's
# last line on stderr. Needs GNU time (apt-get install time). HOSTILE_ENV adds
# environment to ewsmon (e.g. HOSTILE_ENV=GOMEMLIMIT=40MiB).
set -euo pipefail
secs=${1:-20}
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "hostile-rss.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
dir=$(mktemp -d)
go build -o "$dir/ewsmon" .
go build -o "$dir/hostile" ./scripts/hostile
srv=""
cleanup() {
	if [ -n "$srv" ]; then kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT

printf '%-9s %10s %6s  %s\n' case "peak RSS" exit "ewsmon says"
for c in stream elements text length gzip; do
	rm -f "$dir/addr"
	"$dir/hostile" -case "$c" -addr-file "$dir/addr" -lifetime "$((secs + 60))s" &
	srv=$!
	for _ in $(seq 100); do [ -s "$dir/addr" ] && break; sleep 0.1; done
	[ -s "$dir/addr" ] || { echo "hostile server ($c) did not start" >&2; exit 1; }
	addr=$(cat "$dir/addr")
	set +e
	env EWSMON_PASSWORD=x ${HOSTILE_ENV:-} timeout "$((secs + 30))" /usr/bin/time -v -o "$dir/time" \
		"$dir/ewsmon" watch --url "http://$addr/EWS/Exchange.asmx" --auth basic --user alice --json --duration "${secs}s" \
		>"$dir/out" 2>"$dir/err"
	rc=$?
	set -e
	kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$dir/time")
	said=$(tail -n 1 "$dir/err")
	[ -n "$said" ] || said="$(grep -o '"message":"[^"]*"' "$dir/out" | tail -n 1)"
	printf '%-9s %7.1f MB %6s  %s\n' "$c" "$(echo "$kb" | awk '{print $1 / 1024}')" "$rc" "$said"
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
	srv=""
done

#!/usr/bin/env bash
# nftables-bench.sh [RULES...]: times `fwmatrix check` (parse, evaluate the whole
# Skype for Business matrix for a Front End, write SARIF) against
# `nft -c -f` (validation against the kernel, in a private network namespace) on the
# same generated rulesets, several runs each; prints medians, their ratio
# and peak memory. Default sizes: 10000 100000. Needs root for the namespace.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
fwm=${FWMATRIX:-$root/build/src/fwmatrix}
runs=${RUNS:-3}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
[ -x "$fwm" ] || { echo "build first: scripts/run --version" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null
work=$(mktemp -d)
ns=fwmbench$$
trap 'ip netns del $ns 2>/dev/null || true; rm -rf "$work"' EXIT
have_ns=0
if ip netns add "$ns" 2>/dev/null; then have_ns=1; fi

# measure CMD...: prints "seconds max_rss_kb" of one run
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
    echo "failed: $*" >&2; cat "$work/stderr" >&2; return 1; }
  cat "$work/time"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-9s %10s %12s %14s %10s %10s\n' rules fwm_s fwm_peak_MB nft_check_s ratio lines
for n in "${sizes[@]}"; do
  file=$work/nft-$n.nft
  "$here/gen-nftables.sh" "$n" > "$file"
  : > "$work/fwm"; : > "$work/rst"
  for _ in $(seq "$runs"); do
    measure "$fwm" check "$file" --role front-end --report sarif -o "$work/out.sarif" >> "$work/fwm"
    if [ $have_ns = 1 ]; then
      measure sh -c "ip netns exec $ns nft -c -f '$file'" >> "$work/rst"
    fi
  done
  fwm_s=$(cut -d' ' -f1 "$work/fwm" | median)
  fwm_mb=$(cut -d' ' -f2 "$work/fwm" | sort -g | tail -1 | awk '{printf "%.0f", $1/1024}')
  if [ $have_ns = 1 ]; then
    rst_s=$(cut -d' ' -f1 "$work/rst" | median)
    ratio=$(awk -v a="$fwm_s" -v b="$rst_s" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
  else
    rst_s="n/a"; ratio="n/a"
  fi
  printf '%-9s %10s %12s %14s %10s %10s\n' "$n" "$fwm_s" "$fwm_mb" "$rst_s" "$ratio" "$(wc -l < "$file")"
done
[ $have_ns = 1 ] || echo "note: no network namespace (not root?): nft -c was not timed" >&2

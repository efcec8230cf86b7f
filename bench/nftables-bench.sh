#!/usr/bin/env bash
# nftables-bench.sh [RULES...]: times `fwmatrix check` (parse, evaluate the whole
# Skype for Business matrix for a Front End, write SARIF) against
# `nft -c -f` (validation against the kernel, in a private network namespace) on the
# same generated rulesets, several runs each; prints medians, their ratio
# and peak memory. Default sizes: 10000 100000. Needs root for the namespace.
set -euo pipefail
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
source "$(dirname "$0")/bench-lib.sh"

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
  summarize 2
  printf '%-9s %10s %12s %14s %10s %10s\n' "$n" "$fwm_s" "$fwm_mb" "$rst_s" "$ratio" "$(wc -l < "$file")"
done
[ $have_ns = 1 ] || echo "note: no network namespace (not root?): nft -c was not timed" >&2

#!/usr/bin/env bash
# chains-by-source-bench.sh iptables|nft [RULES...]: the shape of a host with many
# per-source rules (gen_chains_by_source.py: each rule on its own /24 source with a port
# range, ACCEPT, DROP and RETURN mixed, in N/100 user chains for iptables, one chain for
# nftables). Times `fwmatrix check FILE --role front-end --report sarif` against the
# syntax check of the peer tool (`iptables-restore --test` or `nft -c -f`, in a private
# network namespace) on the same file; prints medians, their ratio and peak memory.
# Default sizes: 1000 10000 100000 (iptables), 1000 10000 (nft). Needs root for the namespace.
set -euo pipefail
shape=${1:-}
case "$shape" in
  iptables | nft) shift ;;
  *) echo "usage: $0 iptables|nft [RULES...]" >&2; exit 2 ;;
esac
sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then
  if [ "$shape" = iptables ]; then sizes=(1000 10000 100000); else sizes=(1000 10000); fi
fi
source "$(dirname "$0")/bench-lib.sh"

printf '%-9s %10s %12s %14s %10s\n' rules fwm_s fwm_peak_MB check_s ratio
for n in "${sizes[@]}"; do
  file=$work/cbs-$shape-$n
  python3 "$here/gen_chains_by_source.py" "$shape" "$n" "$file"
  : > "$work/fwm"; : > "$work/rst"
  for _ in $(seq "$runs"); do
    measure "$fwm" check "$file" --role front-end --report sarif -o "$work/out.sarif" --fail-on none >> "$work/fwm"
    if [ $have_ns = 1 ]; then
      if [ "$shape" = iptables ]; then
        measure sh -c "ip netns exec $ns iptables-restore --test < '$file'" >> "$work/rst"
      else
        measure sh -c "ip netns exec $ns nft -c -f '$file'" >> "$work/rst"
      fi
    fi
  done
  summarize 3
  printf '%-9s %10s %12s %14s %10s\n' "$n" "$fwm_s" "$fwm_mb" "$rst_s" "$ratio"
done
[ $have_ns = 1 ] || echo "note: no network namespace (not root?): the peer's check was not timed" >&2

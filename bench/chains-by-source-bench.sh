#!/usr/bin/env bash
# chains-by-source-bench.sh iptables|nft [RULES...]: the shape of a host with many
# per-source rules (gen_chains_by_source.py: each rule on its own /24 source with a port
# range, ACCEPT, DROP and RETURN mixed, in N/100 user chains for iptables, one chain for
# nftables). Times `fwmatrix check FILE --role front-end --report sarif` against the
# syntax check of the peer tool (`iptables-restore --test` or `nft -c -f`, in a private
# network namespace) on the same file; prints medians, their ratio and peak memory.
# Default sizes: 1000 10000 100000 (iptables), 1000 10000 (nft). Needs root for the namespace.
# Each row says whether issue 23's target for that shape and size is met (1M: give 100000
# before 1000000, the target is relative to it).
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

# The targets of issue 23, per shape and size: "met|TARGET", "NOT met|TARGET", or "-|..."
# when none is set or it cannot be measured here.
# (1M iptables: at most 12 times the 100k time measured in the same run.)
verdict() {
  local n=$1 ok=""
  case "$shape:$n" in
    iptables:10000) ok=$(awk -v s="$fwm_s" -v m="$fwm_mb" 'BEGIN {print (s <= 0.5 && m <= 200) ? 1 : 0}')
      target="<=0.5 s, <=200 MB" ;;
    iptables:100000) [ "$ratio" = n/a ] && { echo "-|needs root"; return; }
      ok=$(awk -v r="$ratio" -v m="$fwm_mb" 'BEGIN {print (r <= 0.5 && m <= 300) ? 1 : 0}')
      target="<=0.5x peer, <=300 MB" ;;
    iptables:1000000) [ -n "${time_100k:-}" ] || { echo "-|needs the 100k run first"; return; }
      ok=$(awk -v s="$fwm_s" -v t="$time_100k" 'BEGIN {print (s <= 12 * t) ? 1 : 0}')
      target="<=12x the 100k time" ;;
    nft:10000) [ "$ratio" = n/a ] && { echo "-|needs root"; return; }
      ok=$(awk -v r="$ratio" 'BEGIN {print (r <= 0.02) ? 1 : 0}')
      target="<=1/50 of nft -c" ;;
    *) echo "-|"; return ;;
  esac
  [ "$ok" = 1 ] && echo "met|$target" || echo "NOT met|$target"
}

printf '%-9s %10s %12s %14s %10s  %-8s %s\n' rules fwm_s fwm_peak_MB check_s ratio target_is target
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
  IFS='|' read -r met target <<< "$(verdict "$n")"
  printf '%-9s %10s %12s %14s %10s  %-8s %s\n' "$n" "$fwm_s" "$fwm_mb" "$rst_s" "$ratio" "$met" "$target"
  [ "$n" = 100000 ] && time_100k=$fwm_s
done
[ $have_ns = 1 ] || echo "note: no network namespace (not root?): the peer's check was not timed" >&2

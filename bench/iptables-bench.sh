#!/usr/bin/env bash
# iptables-bench.sh [RULES...]: times `fwmatrix check` (parse, evaluate the whole
# Skype for Business matrix for a Front End, write SARIF) against
# `iptables-restore --test` (syntax check only, in a private network namespace) on the
# same generated kube-proxy-like dumps, several runs each; prints medians, their ratio,
# peak memory and how fwmatrix's time grew from the previous size (issue 11 asks at most
# 12 from 100k to 1M: `iptables-bench.sh 100000 1000000`). Default sizes: 10000 100000.
# Needs root for the namespace.
set -euo pipefail
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
source "$(dirname "$0")/bench-lib.sh"
command -v iptables-restore >/dev/null || apt-get install -y -q iptables >/dev/null || true

printf '%-9s %8s %10s %12s %14s %16s %8s %10s %8s %8s\n' rules fwm_s fwm_cpu_s fwm_peak_MB restore_test_s restore_cpu_s ratio cpu_ratio lines growth
previous_s=
for n in "${sizes[@]}"; do
  file=$work/kube-$n.rules
  "$here/gen-iptables.sh" "$n" > "$file"
  : > "$work/fwm"; : > "$work/rst"
  for _ in $(seq "$runs"); do
    measure "$fwm" check "$file" --role front-end --report sarif -o "$work/out.sarif" >> "$work/fwm"
    if [ $have_ns = 1 ]; then
      measure sh -c "ip netns exec $ns iptables-restore --test < '$file'" >> "$work/rst"
    fi
  done
  fwm_s=$(cut -d' ' -f1 "$work/fwm" | median)
  fwm_cpu=$(cut -d' ' -f3 "$work/fwm" | median)
  fwm_mb=$(cut -d' ' -f2 "$work/fwm" | sort -g | tail -1 | awk '{printf "%.0f", $1/1024}')
  if [ $have_ns = 1 ]; then
    rst_s=$(cut -d' ' -f1 "$work/rst" | median)
    rst_cpu=$(cut -d' ' -f3 "$work/rst" | median)
    ratio=$(awk -v a="$fwm_s" -v b="$rst_s" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
    cpu_ratio=$(awk -v a="$fwm_cpu" -v b="$rst_cpu" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
  else
    rst_s="n/a"; rst_cpu="n/a"; ratio="n/a"; cpu_ratio="n/a"
  fi
  growth=$(awk -v a="$fwm_s" -v b="$previous_s" 'BEGIN {if (b > 0) printf "%.1f", a / b; else print "-"}')
  previous_s=$fwm_s
  printf '%-9s %8s %10s %12s %14s %16s %8s %10s %8s %8s\n' "$n" "$fwm_s" "$fwm_cpu" "$fwm_mb" "$rst_s" "$rst_cpu" "$ratio" "$cpu_ratio" "$(wc -l < "$file")" "$growth"
done
[ $have_ns = 1 ] || echo "note: no network namespace (not root?): iptables-restore --test was not timed" >&2

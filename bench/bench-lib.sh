# Shared set-up of the bench scripts (sourced, not run): the fwmatrix binary, RUNS, a
# scratch directory, a private network namespace for the peer tool when root, and
# measure/median.
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
root=$(cd "$here/.." && pwd)
fwm=${FWMATRIX:-$root/build/src/fwmatrix}
runs=${RUNS:-3}
[ -x "$fwm" ] || { echo "build first: scripts/run --version" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null
work=$(mktemp -d)
ns=fwmbench$$
trap 'ip netns del $ns 2>/dev/null || true; rm -rf "$work"' EXIT
have_ns=0
if ip netns add "$ns" 2>/dev/null; then have_ns=1; fi

# measure CMD...: prints "seconds max_rss_kb cpu_seconds" of one run (cpu = user + system:
# what the run costs whatever else the machine is doing)
measure() {
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
    echo "failed: $*" >&2; cat "$work/stderr" >&2; return 1; }
  awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}' "$work/time"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# summarize [DECIMALS]: from the runs in $work/fwm (fwmatrix) and $work/rst (the peer),
# sets fwm_s (median seconds), fwm_mb (largest peak, MB), rst_s and ratio (fwm_s / rst_s
# to DECIMALS places, default 2; "n/a" without a namespace).
summarize() {
  fwm_s=$(cut -d' ' -f1 "$work/fwm" | median)
  fwm_mb=$(cut -d' ' -f2 "$work/fwm" | sort -g | tail -1 | awk '{printf "%.0f", $1/1024}')
  if [ $have_ns = 1 ]; then
    rst_s=$(cut -d' ' -f1 "$work/rst" | median)
    ratio=$(awk -v a="$fwm_s" -v b="$rst_s" -v d="${1:-2}" 'BEGIN {printf "%.*f", d, (b > 0 ? a / b : 0)}')
  else
    rst_s="n/a"; ratio="n/a"
  fi
}

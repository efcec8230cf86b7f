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

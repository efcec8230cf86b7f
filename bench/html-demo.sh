#!/usr/bin/env bash
# html-demo.sh [OUT_DIR]: writes the HTML reports of two corpus configs (an iptables file
# with media ranges open in part, a Windows script whose profiles differ) and a screenshot
# of each taken by headless Chromium (Debian package chromium).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/demo}
mkdir -p "$out"
for config in corpus/iptables/front-end-partial-media.rules corpus/windows/profile-differences.cmd; do
  name=$(basename "$config")
  "$root/build/src/fwmatrix" check "$root/$config" --role front-end --report html -o "$out/$name.html" || true
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$(mktemp -d)" --hide-scrollbars \
    --window-size=1400,2000 --screenshot="$out/$name.png" "file://$out/$name.html" 2>/dev/null
  echo "$out/$name.html"
  echo "$out/$name.png"
done

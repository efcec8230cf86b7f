#!/usr/bin/env bash
# html-demo.sh [OUT_DIR]: writes the HTML report of a corpus config and a screenshot of it
# taken by headless Chromium (Debian package chromium).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/demo}
mkdir -p "$out"
"$root/build/src/fwmatrix" check "$root/corpus/iptables/front-end-partial-media.rules" --role front-end \
  --report html -o "$out/report.html" || true
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$(mktemp -d)" --window-size=1280,1400 \
  --screenshot="$out/report.png" "file://$out/report.html" 2>/dev/null
echo "$out/report.html"
echo "$out/report.png"

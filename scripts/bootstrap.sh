# Shared set-up of scripts/run and scripts/test: install the Debian packages fwmatrix
# needs (when root; otherwise print the apt-get line and exit 2), then configure and
# build once (incremental afterwards). Sourced, not run.
set -euo pipefail

FWM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FWM_BUILD=${FWM_BUILD_DIR:-$FWM_ROOT/build}
# What building fwmatrix needs (-DFWM_BUILD_TESTS=OFF: the Dockerfile's build stage and the
# release packages); the tests add Catch2 (v2 or v3). uuid-dev: Debian's antlr4-runtime
# CMake targets link -luuid, and libantlr4-runtime-dev does not depend on it (a clean
# Debian 12 root, scripts/check-container, fails to link without it).
FWM_BUILD_PACKAGES=(cmake ninja-build g++ pkg-config antlr4 default-jre-headless libantlr4-runtime-dev libfmt-dev
  libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libhivex-dev libgoogle-perftools-dev uuid-dev)
FWM_PACKAGES=("${FWM_BUILD_PACKAGES[@]}" catch2)

fwm_missing_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

fwm_install() {
  local missing
  missing=$(fwm_missing_packages "$@")
  [ -z "$missing" ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    # CI runners (GitHub Actions) allow password-less sudo; anywhere else, say what to run.
    if [ -n "${CI:-}" ] && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      echo "fwmatrix needs these Debian packages: $missing" >&2
      echo "run: sudo apt-get install -y $missing" >&2
      exit 2
    fi
  fi
  echo "installing: $missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  if ! $sudo apt-get install -y -q --no-install-recommends $missing >&2; then
    $sudo apt-get update -q >&2
    # shellcheck disable=SC2086
    $sudo apt-get install -y -q --no-install-recommends $missing >&2
  fi
}

# FWM_WERROR=1 (CI) builds with -DFWM_WERROR=ON: warnings are errors. It is applied to an
# existing build directory too, so a cached OFF cannot hide a warning.
fwm_build() {
  local type=${1:-RelWithDebInfo} dir=${2:-$FWM_BUILD} extra=${3:-}
  [ "${FWM_WERROR:-0}" = 1 ] && extra="$extra -DFWM_WERROR=ON"
  if [ ! -f "$dir/build.ninja" ]; then
    # shellcheck disable=SC2086
    cmake -S "$FWM_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" $extra >&2
  elif [ "${FWM_WERROR:-0}" = 1 ]; then
    cmake -S "$FWM_ROOT" -B "$dir" -DFWM_WERROR=ON >&2
  fi
  cmake --build "$dir" --parallel "$(nproc)" >&2
}

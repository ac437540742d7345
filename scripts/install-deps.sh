#!/usr/bin/env bash
# Installs the Debian packages the build needs. Fast no-op when all are present.
#   scripts/install-deps.sh          the build and the tests (Erlang/OTP among them: erl_interface
#                                    for the external term format, erl for the tests against it)
#   scripts/install-deps.sh --bench  also the other peer of bench/compare (CAF)
#   scripts/install-deps.sh --docs   also Doxygen, for `make docs`
set -euo pipefail

PACKAGES=(
  build-essential
  cmake
  ninja-build
  g++
  clang-19
  libclang-rt-19-dev
  clang-14
  libclang-rt-14-dev
  clang-format
  clang-tidy-19
  libgtest-dev
  libgmock-dev
  googletest
  libbenchmark-dev
  libspdlog-dev
  libfmt-dev
  libbackward-cpp-dev
  libdw-dev
  pkg-config
  libcpp-httplib-dev
  libboost1.81-dev
  nlohmann-json3-dev
  libcli11-dev
  libsqlite3-dev
  libtomlplusplus-dev
  libabsl-dev
  prometheus-cpp-dev
  prometheus
  chromium
  chromium-driver
  erlang-dev
  erlang-base
  libssl-dev
)
case "${1:-}" in
  --bench) PACKAGES+=(libcaf-dev python3) ;;
  --docs) PACKAGES+=(doxygen) ;;
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: not root and no sudo; install them and re-run" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
# Lock::Timeout waits for another apt/dpkg process instead of failing at once.
APT_OPTS=(-o DPkg::Lock::Timeout=600)
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"

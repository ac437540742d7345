#!/usr/bin/env bash
# clang-format -i every C++ source (tracked or untracked, not ignored) in the project folders.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CLANG_FORMAT=${CLANG_FORMAT:-}
if [ -z "$CLANG_FORMAT" ]; then
  for c in clang-format clang-format-14; do
    if command -v "$c" >/dev/null 2>&1; then CLANG_FORMAT=$c; break; fi
  done
fi
if [ -z "$CLANG_FORMAT" ]; then
  echo "format.sh: clang-format not found (run scripts/install-deps.sh)" >&2
  exit 1
fi

DIRS=(include src tests bench examples)
existing=()
for d in "${DIRS[@]}"; do [ -d "$d" ] && existing+=("$d"); done
[ ${#existing[@]} -eq 0 ] && exit 0

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard -- "${existing[@]}"
else
  find "${existing[@]}" -type f -print0
fi | grep -zE '\.(hpp|cpp)$' | xargs -0 -r "$CLANG_FORMAT" -i

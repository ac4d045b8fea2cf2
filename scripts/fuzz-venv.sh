#!/usr/bin/env bash
# Creates (once) a Python venv holding schemathesis, pinned in python/fuzz-requirements.txt, and
# prints its bin/ directory. Cached under ~/.cache/openenv-rx/fuzz/<hash of the requirements>, so a
# changed pin makes a fresh venv and an unchanged one costs nothing. With --check it only prints
# the directory when the venv is already there (exit 1 otherwise): tests use that.
set -euo pipefail
cd "$(dirname "$0")/.."
req=python/fuzz-requirements.txt
hash=$(sha256sum "$req" | cut -c1-16)
venv="${OPENENV_RX_FUZZ_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/openenv-rx/fuzz/$hash}"
if [ "${1:-}" = --check ]; then
  [ -x "$venv/bin/schemathesis" ] || exit 1
elif [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
fi
echo "$venv/bin"

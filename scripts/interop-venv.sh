#!/usr/bin/env bash
# Creates the pinned OpenEnv venvs the interop tests (spec/interop) run against, once per machine,
# and reuses them: one venv per [section] of interop/pins.txt, under
#   ${OPENENV_RX_INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/openenv-rx/interop}/<section>-<hash>
# where <hash> is the sha256 of the section's requirement lines (spec/interop/support/venvs.ts
# computes the same), so a changed pin gets a fresh venv and an unchanged one costs nothing.
# Installs with --no-deps from the full pinned set (no resolver run) and --no-compile (Python
# compiles what it imports, on first import): about 1-2 min cold on a loaded 2-core machine, 0 s warm.
#
#   scripts/interop-venv.sh              create (or reuse) every section's venv, print their paths
#   scripts/interop-venv.sh openenv      only that section
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pins="$root/interop/pins.txt"
cache="${OPENENV_RX_INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/openenv-rx/interop}"
python="${OPENENV_RX_PYTHON:-python3}"

command -v "$python" >/dev/null || { echo "interop-venv: $python not found (the interop tests need Python >= 3.10)" >&2; exit 1; }

# The requirement lines of one [section]: trimmed, no comments or blank lines (the hashed text).
section_lines() {
  awk -v want="[$1]" '
    /^[[:space:]]*\[[^]]+\][[:space:]]*$/ { gsub(/[[:space:]]/, ""); inside = ($0 == want); next }
    inside { sub(/#.*/, ""); gsub(/^[[:space:]]+|[[:space:]]+$/, ""); if ($0 != "") print }
  ' "$pins"
}

sections=("$@")
if [ ${#sections[@]} -eq 0 ]; then
  mapfile -t sections < <(sed -n 's/^[[:space:]]*\[\([^]]*\)\][[:space:]]*$/\1/p' "$pins")
fi

# One venv: reused when marked ready and importable, else (re)created; prints its path.
make_venv() {
  local name="$1" lines hash venv start
  lines="$(section_lines "$name")"
  [ -n "$lines" ] || { echo "interop-venv: no section [$name] in $pins" >&2; return 2; }
  hash="$(printf '%s\n' "$lines" | sha256sum | cut -c1-16)"
  venv="$cache/$name-$hash"
  # One creator at a time per venv (two checkouts or CI next to a developer share the cache).
  exec 9>"$venv.lock"
  flock 9
  if [ -f "$venv/.ready" ] && "$venv/bin/python" -c 'import openenv' 2>/dev/null; then
    echo "interop-venv: reusing $venv" >&2
  else
    start=$SECONDS
    echo "interop-venv: creating $venv" >&2
    # A half-made venv (interrupted, failed install) never carries the .ready mark: start over.
    rm -rf "$venv"
    "$python" -m venv "$venv"
    printf '%s\n' "$lines" >"$venv/requirements.txt"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-compile -r "$venv/requirements.txt"
    "$venv/bin/pip" check --disable-pip-version-check >&2
    touch "$venv/.ready"
    echo "interop-venv: $name ready in $((SECONDS - start)) s" >&2
  fi
  exec 9>&-
  echo "$venv"
}

mkdir -p "$cache"
# Sections install in parallel (pip is mostly waiting on downloads and unpacking).
pids=()
for name in "${sections[@]}"; do
  make_venv "$name" >"$cache/.$name.path.$$" &
  pids+=("$!")
done
status=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { echo "interop-venv: [${sections[$i]}] failed" >&2; status=1; }
done
for name in "${sections[@]}"; do cat "$cache/.$name.path.$$"; rm -f "$cache/.$name.path.$$"; done
exit "$status"

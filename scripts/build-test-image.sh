#!/usr/bin/env bash
# Builds an env-server image FROM scratch out of this host's `node` binary, the shared libraries
# `ldd` lists for it, and the project's JS. No registry is needed (none is reachable here).
#
#   scripts/build-test-image.sh            image running our built-in server (docker/server-entry.mjs
#                                          over dist/; runs `npm run build` first when dist/ is absent
#                                          or older than src/)
#   scripts/build-test-image.sh --fixture  image running the stand-in spec/fixtures/echo-server.mjs
#                                          (no TypeScript build needed; what the runtime tests use)
#   --build                                force `npm run build` (full image only)
#   OPENENV_RX_TEST_IMAGE_REPO=name        repository name instead of openenv-rx-<variant> (the
#                                          script's own test builds under a throwaway name)
#
# Idempotent and fast on re-run: the tag is a hash of everything copied in (plus the Dockerfile),
# so an unchanged input skips `docker build`. Images are labelled with this checkout's path
# (which is part of the hash), and a rebuild removes only older images carrying the SAME label: two
# checkouts sharing one engine (worktrees, CI next to a developer) never delete each other's images.
# Prints the image tag as the last line of stdout.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
variant=server
force_build=0
for arg in "$@"; do
  case "$arg" in
    --fixture) variant=fixture ;;
    --build) force_build=1 ;;
    *) echo "usage: $0 [--fixture] [--build]" >&2; exit 2 ;;
  esac
done

command -v docker >/dev/null || { echo "docker CLI not found (apt-get install -y docker.io)" >&2; exit 1; }
node_bin="$(command -v node)"
repo="${OPENENV_RX_TEST_IMAGE_REPO:-openenv-rx-$variant}"
# Identifies this checkout (its absolute path), so cleanup never touches another checkout's images.
checkout="$(printf '%s' "$root" | sha256sum | cut -c1-12)"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
rootfs="$stage/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/app" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"

# node and its dynamic libraries (plus the loader) at the paths the binary expects.
cp -L "$node_bin" "$rootfs/usr/local/bin/node"
for lib in $(ldd "$node_bin" | grep -oE '/[^ ]+'); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done

if [ "$variant" = fixture ]; then
  cp "$root/spec/fixtures/echo-server.mjs" "$rootfs/app/echo-server.mjs"
  mkdir -p "$rootfs/app/node_modules"
  cp -R "$root/node_modules/ws" "$rootfs/app/node_modules/ws"
  cmd='["/app/echo-server.mjs"]'
else
  # Rebuild dist/ when forced, missing, or older than any source file (a stale dist would
  # otherwise be baked into the image silently).
  if [ "$force_build" = 1 ] || [ ! -f "$root/dist/server/serve-builtin.js" ] ||
    [ -n "$(find "$root/src" -newer "$root/dist/server/serve-builtin.js" -type f -print -quit)" ]; then
    (cd "$root" && npm run build --silent) >&2 || { echo "npm run build failed: fix the type errors above" >&2; exit 1; }
  fi
  cp -R "$root/dist" "$rootfs/app/dist"
  cp "$root/package.json" "$rootfs/app/package.json" # "type": "module" for dist/*.js
  mkdir -p "$rootfs/app/docker"
  cp "$root/docker/server-entry.mjs" "$rootfs/app/docker/server-entry.mjs"
  # Production dependencies only (npm's own resolution), not the 100+ MB of dev tooling, plus the
  # peer dependencies (rxjs, zod) and theirs: the library's users provide those, the image must too.
  peers="$(node -p "Object.keys(require('$root/package.json').peerDependencies || {}).map((n) => '#' + n + ', #' + n + ' *').join(', ')")"
  { (cd "$root" && npm ls --omit=dev --all --parseable 2>/dev/null)
    [ -z "$peers" ] || (cd "$root" && npm query "$peers" | node -e "let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => JSON.parse(s).forEach((p) => console.log(p.path)))")
  } | while read -r dir; do
    [ "$dir" = "$root" ] && continue
    rel="${dir#"$root"/}"
    mkdir -p "$rootfs/app/$(dirname "$rel")"
    [ -e "$rootfs/app/$rel" ] || cp -R "$dir" "$rootfs/app/$rel"
  done
  cmd='["/app/docker/server-entry.mjs"]'
fi

cat > "$stage/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
ENV HOST=0.0.0.0 PORT=8000 NODE_ENV=production
WORKDIR /app
EXPOSE 8000
LABEL openenv-rx.test-image="$variant" openenv-rx.checkout="$checkout"
ENTRYPOINT ["/usr/local/bin/node"]
CMD $cmd
DOCKERFILE

hash="$(cd "$stage" && { find . -type f -print0 | sort -z | xargs -0 sha256sum; find . -type l -printf '%p -> %l\n' | sort; } | sha256sum | cut -c1-16)"
tag="$repo:$hash"

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "image $tag is up to date" >&2
else
  # The legacy builder needs no buildx plugin and handles FROM scratch.
  DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$stage" >&2
  # Only this checkout's older builds of this variant; `docker rmi` without -f refuses an image
  # that a container (even a stopped one) still uses.
  for old in $(docker images "$repo" --filter "label=openenv-rx.checkout=$checkout" --format '{{.Tag}}'); do
    [ "$old" = "$hash" ] || docker rmi "$repo:$old" >/dev/null 2>&1 || true
  done
fi
echo "$tag"

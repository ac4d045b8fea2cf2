#!/usr/bin/env bash
# A three-node Docker Swarm on this one machine, for spec/swarm-multinode/ and the multinode bench.
#
#   scripts/multinode-swarm.sh up       start it (idempotent: what already runs is kept)
#   scripts/multinode-swarm.sh down     tear it down (leave the swarm, stop the engines, delete the
#                                       namespaces, veths, bridge and mounts); keeps the data roots
#                                       (the loaded images: the next `up` is fast)
#   scripts/multinode-swarm.sh down --purge   also deletes the data roots
#   scripts/multinode-swarm.sh status   one line per node; exit 0 only when all three are ready
#   scripts/multinode-swarm.sh env      the variables the tests read (eval "$(... env)")
#   scripts/multinode-swarm.sh engine-stop|engine-start|cut|uncut|drain|activate N
#                                       node faults for the tests (N = 1-3; engine-start, uncut and
#                                       activate return once the manager sees the node ready)
#   scripts/multinode-swarm.sh only-on-manager IMAGE TAG   an image ID present on node1 only
#
# Each node is a separate dockerd (with its own managed containerd) in its own network namespace
# `ormn-nodeN`, with address 10.77.0.1N/24 (and fd77::1N/64) on a veth whose other end is on the
# bridge `ormn0` (10.77.0.1, fd77::1) in the root namespace, and its own UTS namespace (hostname
# ormn-nodeN: swarm nodes named after the host would all look alike). node1 is the manager
# (`docker swarm init --advertise-addr 10.77.0.11`), node2 and node3 join it as workers. The test
# images (scripts/build-test-image.sh on the default engine) are copied in with
# `docker save | docker load`. The default engine (/var/run/docker.sock) is never touched.
#
# Snags handled (see docs/scale-out.md, "A multi-node swarm on one machine"):
# - `ip netns exec` also remounts /sys in a new mount namespace, which hides the cgroup v1 mounts
#   dockerd needs: the engines are started with `nsenter --net=` (network namespace only).
# - the root namespace's dockerd turns br_netfilter on and FORWARD's policy to DROP, which drops
#   node-to-node traffic crossing our bridge: one ACCEPT rule (ormn0 -> ormn0), removed by `down`.
# - swarm's default address pool is 10.0.0.0/8 (overlays, ingress), which contains our 10.77.0.0/24:
#   the swarm is initialised with --default-addr-pool 10.78.0.0/16.
# - each engine gets its own --bip / default address pool, data root, exec root, pidfile, socket
#   and cgroup parent, so nothing of one engine is shared with another or with the default engine.
# - iptables: Debian's alternatives pick iptables-nft, whose tables are per network namespace; the
#   engines in the namespaces use it as the default engine does.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR=/run/openenv-rx-mn
DATA_DIR="${OPENENV_RX_MN_DATA:-/var/lib/openenv-rx-mn}"
BRIDGE=ormn0
NODES=(1 2 3)
SUBNET_PREFIX=10.77.0
STORAGE="${OPENENV_RX_MN_STORAGE:-overlay2}"
# A short heartbeat so that a node whose network is cut is reported down within seconds.
HEARTBEAT="${OPENENV_RX_MN_HEARTBEAT:-2s}"

log() { printf '[multinode-swarm %ss] %s\n' "$SECONDS" "$*" >&2; }
die() { log "error: $*"; exit 1; }

ns() { echo "ormn-node$1"; }
addr() { echo "$SUBNET_PREFIX.1$1"; }
addr6() { echo "fd77::1$1"; }
sock() { echo "$RUN_DIR/node$1.sock"; }
dk() { local n="$1"; shift; docker -H "unix://$(sock "$n")" "$@"; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (ip netns, dockerd)"; }

check_tools() {
  local t
  for t in ip nsenter unshare dockerd docker containerd; do
    command -v "$t" >/dev/null || die "$t not found (apt-get install -y iproute2 util-linux docker.io)"
  done
  # dockerd needs a working iptables in each namespace.
  iptables -V >/dev/null 2>&1 || die "iptables does not run (update-alternatives --display iptables)"
}

# ---- network -------------------------------------------------------------------------------

net_up() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  forward_accept add
  ip addr replace "$SUBNET_PREFIX.1/24" dev "$BRIDGE"
  ip -6 addr replace fd77::1/64 dev "$BRIDGE" nodad 2>/dev/null || true
  ip link set "$BRIDGE" up
  local n
  for n in "${NODES[@]}"; do
    local name; name="$(ns "$n")"
    [ -e "/run/netns/$name" ] || ip netns add "$name"
    if ! ip link show "ormn-n$n" >/dev/null 2>&1; then
      ip link add "ormn-n$n" type veth peer name eth0 netns "$name"
    fi
    ip link set "ormn-n$n" master "$BRIDGE"
    ip link set "ormn-n$n" up
    ip -n "$name" link set lo up
    ip -n "$name" addr replace "$(addr "$n")/24" dev eth0
    ip -n "$name" -6 addr replace "$(addr6 "$n")/64" dev eth0 nodad 2>/dev/null || true
    ip -n "$name" link set eth0 up
    ip -n "$name" route replace default via "$SUBNET_PREFIX.1"
  done
}

# With br_netfilter loaded and net.bridge.bridge-nf-call-iptables=1 (the default engine sets both,
# host-wide; a bridge's own nf_call_iptables can only add to it), frames crossing our bridge go
# through the root namespace's FORWARD chain, whose policy the default engine set to DROP: one
# ACCEPT for ormn0 -> ormn0, in DOCKER-USER (which the default engine never flushes) when it exists.
forward_accept() {
  local action="$1" tool chain
  for tool in iptables ip6tables; do
    command -v "$tool" >/dev/null || continue
    chain=FORWARD
    "$tool" -n -L DOCKER-USER >/dev/null 2>&1 && chain=DOCKER-USER
    local rule=(-i "$BRIDGE" -o "$BRIDGE" -m comment --comment openenv-rx-mn -j ACCEPT)
    if [ "$action" = add ]; then
      "$tool" -C "$chain" "${rule[@]}" 2>/dev/null || "$tool" -I "$chain" 1 "${rule[@]}"
    else
      for chain in DOCKER-USER FORWARD; do
        while "$tool" -D "$chain" "${rule[@]}" 2>/dev/null; do :; done
      done
    fi
  done
}

net_down() {
  local n
  for n in "${NODES[@]}"; do
    ip link del "ormn-n$n" 2>/dev/null || true
    [ -e "/run/netns/$(ns "$n")" ] && ip netns del "$(ns "$n")" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  forward_accept del
}

# ---- engines -------------------------------------------------------------------------------

engine_pid() {
  local f="$RUN_DIR/node$1/dockerd.pid"
  [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"
}

engine_ready() { dk "$1" info >/dev/null 2>&1; }

engine_up() {
  local n="$1"
  if engine_pid "$n" >/dev/null && engine_ready "$n"; then return 0; fi
  local dir="$RUN_DIR/node$n"
  mkdir -p "$dir" "$DATA_DIR/node$n"
  # Its own (empty) daemon.json: the host's /etc/docker/daemon.json is the default engine's.
  echo '{}' >"$dir/daemon.json"
  log "starting dockerd node$n ($(addr "$n"), storage $STORAGE)"
  # nsenter --net only (not `ip netns exec`, see the header); unshare --uts for the hostname.
  nsenter --net="/run/netns/$(ns "$n")" unshare --uts -- sh -c '
      hostname "$1"; shift
      exec "$@"' _ "ormn-node$n" \
    dockerd \
    --config-file "$dir/daemon.json" \
    --data-root "$DATA_DIR/node$n" \
    --exec-root "$dir/exec" \
    --pidfile "$dir/dockerd.pid" \
    -H "unix://$(sock "$n")" \
    --storage-driver "$STORAGE" \
    --bip "172.29.$n.1/24" \
    --default-address-pool "base=172.28.$((n * 16)).0/20,size=24" \
    --cgroup-parent "/openenv-rx-mn-node$n" \
    --label "openenv-rx-mn.node=node$n" \
    --mtu 1500 \
    >"$dir/dockerd.log" 2>&1 </dev/null &
  local i
  for i in $(seq 1 120); do
    engine_ready "$n" && return 0
    sleep 0.5
  done
  tail -30 "$dir/dockerd.log" >&2
  die "dockerd node$n did not come up (log: $dir/dockerd.log)"
}

engine_down() {
  local n="$1" pid
  pid="$(engine_pid "$n" || true)"
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  log "dockerd node$n (pid $pid) did not stop in 30 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

# Mounts an engine (or its containerd shims) left behind under its roots.
unmount_under() {
  local prefix="$1" m
  for m in $(awk -v p="$prefix" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
}

# containerd-shim processes of our engines (their exec root is in their command line).
kill_leftover_shims() {
  local pid
  for pid in $(pgrep -f "containerd-shim.*$RUN_DIR/node" || true); do
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# ---- swarm ---------------------------------------------------------------------------------

swarm_state() { dk "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unreachable; }

swarm_up() {
  if [ "$(swarm_state 1)" != active ]; then
    log "swarm init on node1"
    dk 1 swarm init --advertise-addr "$(addr 1)" --listen-addr "$(addr 1):2377" \
      --default-addr-pool 10.78.0.0/16 --dispatcher-heartbeat "$HEARTBEAT" >/dev/null
  fi
  local token n
  token="$(dk 1 swarm join-token -q worker)"
  for n in 2 3; do
    if [ "$(swarm_state "$n")" = pending ]; then
      # A join still retrying (e.g. an earlier `up` ran before the network let it through).
      for _ in $(seq 1 20); do [ "$(swarm_state "$n")" = active ] && break; sleep 0.5; done
    fi
    case "$(swarm_state "$n")" in
      active | inactive) ;;
      *) dk "$n" swarm leave --force >/dev/null 2>&1 || true ;; # pending for too long, or error
    esac
    if [ "$(swarm_state "$n")" != active ]; then
      log "node$n joins"
      dk "$n" swarm join --advertise-addr "$(addr "$n")" --listen-addr "$(addr "$n"):2377" --token "$token" "$(addr 1):2377" >/dev/null
    fi
  done
  # Each node labelled with its name and IPv6 address (the tests' nodeAddress for IPv6 reads it).
  local id host
  for id in $(dk 1 node ls -q); do
    host="$(dk 1 node inspect "$id" --format '{{.Description.Hostname}}')"
    case "$host" in ormn-node[123]) ;; *) continue ;; esac
    n="${host#ormn-node}"
    if [ "$(dk 1 node inspect "$id" --format '{{.Status.State}}')" = down ]; then
      # A node record left from an earlier run (same hostname, old id).
      dk 1 node rm --force "$id" >/dev/null 2>&1 || true
      continue
    fi
    dk 1 node update --label-add "openenv-rx-mn.node=node$n" --label-add "openenv-rx-mn.ipv6=$(addr6 "$n")" \
      --availability active "$id" >/dev/null
  done
}

# ---- images --------------------------------------------------------------------------------

images_up() {
  local tags tag id n
  tags="$(bash "$root/scripts/build-test-image.sh" --fixture | tail -1)"
  if [ -z "${OPENENV_RX_MN_FIXTURE_ONLY:-}" ]; then
    tags="$tags $(bash "$root/scripts/build-test-image.sh" | tail -1)"
  fi
  for tag in $tags; do
    id="$(docker image inspect --format '{{.Id}}' "$tag")"
    for n in "${NODES[@]}"; do
      # save/load keeps the image ID; skipped when the node already has it (data roots persist).
      if [ "$(dk "$n" image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)" != "$id" ]; then
        log "loading $tag into node$n"
        docker save "$tag" | dk "$n" load -q >/dev/null
      fi
    done
  done
  # Older test images on the nodes (an earlier checkout's build) are only dead weight in the cache.
  local keep ref
  keep=" $(for tag in $tags; do docker image inspect --format '{{.Id}}' "$tag"; done | tr '\n' ' ')"
  for n in "${NODES[@]}"; do
    for ref in $(dk "$n" images --filter label=openenv-rx.test-image --format '{{.ID}}' --no-trunc | sort -u); do
      case "$keep" in *" $ref "*) ;; *) dk "$n" rmi -f "$ref" >/dev/null 2>&1 || true ;; esac
    done
  done
  echo "$tags" >"$RUN_DIR/images"
}

# ---- commands ------------------------------------------------------------------------------

cmd_up() {
  need_root
  check_tools
  mkdir -p "$RUN_DIR"
  net_up
  local n
  for n in "${NODES[@]}"; do engine_up "$n" & done
  wait
  for n in "${NODES[@]}"; do engine_ready "$n" || die "node$n is not ready"; done
  swarm_up
  images_up
  cmd_status
}

cmd_down() {
  need_root
  local purge=0 n
  [ "${1:-}" = --purge ] && purge=1
  for n in "${NODES[@]}"; do
    if engine_ready "$n"; then
      # Our services only live on this swarm; leaving removes the node's state (tasks, certs).
      dk "$n" swarm leave --force >/dev/null 2>&1 || true
      # Containers an engine still runs (left by a run that crashed) go with it.
      local ids; ids="$(dk "$n" ps -aq 2>/dev/null || true)"
      [ -z "$ids" ] || dk "$n" rm -f $ids >/dev/null 2>&1 || true
    fi
  done
  for n in "${NODES[@]}"; do engine_down "$n" & done
  wait
  kill_leftover_shims
  for n in "${NODES[@]}"; do
    unmount_under "$RUN_DIR/node$n/"
    unmount_under "$DATA_DIR/node$n/"
  done
  net_down
  for n in "${NODES[@]}"; do
    rmdir "/sys/fs/cgroup/"*"/openenv-rx-mn-node$n" 2>/dev/null || true
  done
  rm -rf "$RUN_DIR"
  if [ "$purge" = 1 ]; then
    for n in "${NODES[@]}"; do rm -rf "${DATA_DIR:?}/node$n"; done
    rmdir "$DATA_DIR" 2>/dev/null || true
  fi
  log "down"
}

cmd_status() {
  local ok=0 n
  for n in "${NODES[@]}"; do
    if engine_ready "$n"; then
      printf 'node%s %s engine up, swarm %s\n' "$n" "$(addr "$n")" "$(swarm_state "$n")"
      [ "$(swarm_state "$n")" = active ] || ok=1
    else
      printf 'node%s %s engine down\n' "$n" "$(addr "$n")"
      ok=1
    fi
  done
  if engine_ready 1; then
    dk 1 node ls --format '{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}' 2>/dev/null | sed 's/^/  /'
    [ "$(dk 1 node ls --filter role=worker -q 2>/dev/null | wc -l)" -ge 2 ] || ok=1
  fi
  return "$ok"
}

# ---- faults (spec/swarm-multinode/node-faults.spec.ts) --------------------------------------

node_arg() { case "${1:-}" in 1 | 2 | 3) ;; *) die "node number 1-3 expected, got '${1:-}'" ;; esac; }
manager_sees() { # node N's state (ready/down) and availability on the manager
  dk 1 node inspect "ormn-node$1" --format '{{.Status.State}} {{.Spec.Availability}}' 2>/dev/null || echo unknown
}
wait_manager_sees() {
  local n="$1" want="$2" i
  for i in $(seq 1 120); do
    case "$(manager_sees "$n")" in "$want"*) return 0 ;; esac
    sleep 0.5
  done
  die "node$n: manager still sees '$(manager_sees "$n")', not '$want', after 60 s"
}
cmd_fault() {
  local what="$1" n="${2:-}"
  need_root
  node_arg "$n"
  [ -e "/run/netns/$(ns "$n")" ] && [ -d "$RUN_DIR" ] || die "no multi-node swarm here: run $0 up first"
  case "$what" in
    engine-stop) engine_down "$n" ;;                          # SIGTERM: its containers stop with it
    engine-start) engine_up "$n"; wait_manager_sees "$n" ready ;;
    cut) ip link set "ormn-n$n" down ;;                        # the namespace's only link
    uncut) ip link set "ormn-n$n" up; wait_manager_sees "$n" ready ;;
    drain) dk 1 node update --availability drain "ormn-node$n" >/dev/null ;;
    activate) dk 1 node update --availability active "ormn-node$n" >/dev/null; wait_manager_sees "$n" "ready active" ;;
  esac
}

# only-on-manager IMAGE NEWTAG: an image whose ID exists on node1 only (IMAGE plus a label).
cmd_only_on_manager() {
  local from="$1" tag="$2"
  printf 'FROM %s\nLABEL openenv-rx-mn.only-on=node1\n' "$from" | DOCKER_BUILDKIT=0 dk 1 build -q -t "$tag" - >/dev/null 2>&1
  local n
  for n in 2 3; do dk "$n" rmi -f "$tag" >/dev/null 2>&1 || true; done
}

cmd_env() {
  echo "export OPENENV_RX_MN_MANAGER=unix://$(sock 1)"
  local n
  for n in "${NODES[@]}"; do echo "export OPENENV_RX_MN_NODE$n=unix://$(sock "$n")"; done
}

case "${1:-}" in
  up) cmd_up ;;
  down) shift; cmd_down "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  engine-stop | engine-start | cut | uncut | drain | activate) cmd_fault "$@" ;;
  only-on-manager) shift; cmd_only_on_manager "$@" ;;
  *) echo "usage: $0 up|down [--purge]|status|env|engine-stop N|engine-start N|cut N|uncut N|drain N|activate N" >&2; exit 2 ;;
esac

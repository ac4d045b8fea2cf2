#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, for the Kubernetes runtime tests.
#
#   scripts/k8s-cluster.sh up       build (or reuse cached) binaries, start etcd, a private
#                                   containerd (CRI), kube-apiserver, kube-controller-manager,
#                                   kube-scheduler and the kubelet; load the test images; wait
#                                   until the node is Ready. Prints the kubeconfig path last.
#   scripts/k8s-cluster.sh down     delete the pods, stop everything `up` started, remove its state
#   scripts/k8s-cluster.sh status   what runs, and the node
#   scripts/k8s-cluster.sh load IMAGE...   import docker images into the cluster's containerd
#   scripts/k8s-cluster.sh smoke IMAGE      run IMAGE as a pod; pass when its /health answers on
#                                           the pod IP from this host
#   scripts/k8s-cluster.sh node freeze|thaw the node-gone fault: SIGSTOP/SIGCONT the kubelet (the
#                                           node stops reporting; its pods keep running); thaw
#                                           waits until the node is Ready and schedulable again
#   scripts/k8s-cluster.sh apiserver stop|start   the control-plane outage fault: stop the API
#                                           server (pods keep running); start brings it back (up)
#
# Everything lives in its own places so it never meets the Docker engine (or its containerd)
# that other checkouts share: state in $K8S_STATE (default /var/lib/openenv-rx-k8s), sockets and
# pid files in $K8S_RUN (default /run/openenv-rx-k8s), only 127.0.0.1 ports (the kubelet: its own
# bridge's address), its own CNI bridge and subnet.
# Needs root (kubelet, containerd), Debian's etcd-server, containerd, runc and
# containernetworking-plugins, openssl, Go (builds the components; see scripts/k8s/build.sh).
# docs/kubernetes-cluster.md explains each part.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
export K8S_VERSION="${K8S_VERSION:-v1.34.4}"
CACHE="${K8S_CACHE:-$HOME/.cache/openenv-rx/k8s}"
BIN="$CACHE/$K8S_VERSION/bin"
STATE="${K8S_STATE:-/var/lib/openenv-rx-k8s}"
RUN="${K8S_RUN:-/run/openenv-rx-k8s}"
PKI="$STATE/pki"
LOGS="$STATE/logs"
KUBECONFIG_OUT="${K8S_KUBECONFIG:-$STATE/admin.kubeconfig}"
SOCK="$RUN/containerd.sock"
NODE="${K8S_NODE_NAME:-openenv-rx-node}"
POD_NET="${K8S_POD_NET:-10.244.77}"   # a /24
POD_SUBNET="$POD_NET.0/24"
# The kubelet refuses a loopback node IP, so the node's address is the pod bridge's gateway: on
# this host only, and what the API server dials for logs and port-forwards.
NODE_IP="$POD_NET.1"
SERVICE_RANGE="10.96.77.0/24"
SERVICE_IP="10.96.77.1"
BRIDGE="oerxk8s0"
PAUSE_IMAGE="openenv-rx/pause:local"
# 127.0.0.1 only; away from the default ports so a user's own cluster tools do not clash.
ETCD_PORT=12379 ETCD_PEER_PORT=12380 API_PORT="${K8S_API_PORT:-16443}"
KUBELET_PORT=20250 KUBELET_HEALTH_PORT=20248 SCHED_PORT=20259 KCM_PORT=20257

log() { echo "[k8s-cluster] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# The API with the admin certificate (no kubectl is built; jq reads the answers).
api() { # path, [curl args...]
  local path="$1"; shift
  curl -fsS --max-time 20 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$API_PORT$path" "$@"
}

need() {
  [ "$(id -u)" = 0 ] || die "must run as root (kubelet and containerd need it)"
  for c in etcd containerd containerd-shim-runc-v2 runc openssl docker go curl jq; do
    command -v "$c" >/dev/null || die "$c not found (apt-get install -y etcd-server containerd runc containernetworking-plugins openssl docker.io golang)"
  done
  [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] ||
    die "CNI plugins missing in /usr/lib/cni (apt-get install -y containernetworking-plugins)"
}

# --- processes -----------------------------------------------------------------------------
start() { # name, command...
  local name="$1"; shift
  if running "$name"; then log "$name already running (pid $(cat "$RUN/$name.pid"))"; return; fi
  log "starting $name"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}
running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }
stop() { # name: SIGTERM, then SIGKILL after a bounded wait
  local name="$1" pid i
  [ -f "$RUN/$name.pid" ] || return 0
  pid="$(cat "$RUN/$name.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$name.pid"
}
wait_for() { # description, seconds, command...
  local what="$1" secs="$2"; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "$what not ready after ${secs}s (logs in $LOGS)"
    sleep 0.5
  done
  log "$what ready"
}

# --- certificates --------------------------------------------------------------------------
cert() { # name, subject, [extensions file]
  local name="$1" subj="$2" ext="${3:-}"
  [ -f "$PKI/$name.crt" ] && return
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  if [ -n "$ext" ]; then
    openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
      -days 3650 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  else
    printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$PKI/client.ext"
    openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
      -days 3650 -extfile "$PKI/client.ext" -out "$PKI/$name.crt" 2>/dev/null
  fi
}
kubeconfig() { # file, cert name
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: openenv-rx
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $2
  user:
    client-certificate: $PKI/$2.crt
    client-key: $PKI/$2.key
contexts:
- name: openenv-rx
  context: {cluster: openenv-rx, user: $2, namespace: default}
current-context: openenv-rx
EOF
}
pki() {
  mkdir -p "$PKI"
  if [ ! -f "$PKI/ca.crt" ]; then
    openssl genrsa -out "$PKI/ca.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=openenv-rx-k8s-ca" -days 3650 -out "$PKI/ca.crt" 2>/dev/null
  fi
  cat >"$PKI/apiserver.ext" <<EOF
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
  cat >"$PKI/kubelet.ext" <<EOF
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$NODE_IP,DNS:$NODE,DNS:localhost
EOF
  cert apiserver "/CN=kube-apiserver" "$PKI/apiserver.ext"
  cert kubelet-serving "/CN=$NODE" "$PKI/kubelet.ext"
  cert admin "/O=system:masters/CN=openenv-rx-admin"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  cert node "/O=system:nodes/CN=system:node:$NODE"
  cert scheduler "/CN=system:kube-scheduler"
  cert controller-manager "/CN=system:kube-controller-manager"
  [ -f "$PKI/sa.key" ] || { openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null; openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null; }
  kubeconfig "$KUBECONFIG_OUT" admin
  kubeconfig "$STATE/node.kubeconfig" node
  kubeconfig "$STATE/scheduler.kubeconfig" scheduler
  kubeconfig "$STATE/controller-manager.kubeconfig" controller-manager
}

# --- containerd (a private instance: own config, root, state, socket) -----------------------
containerd_config() {
  mkdir -p "$STATE/cni/net.d" "$STATE/containerd"
  cat >"$STATE/containerd/config.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$RUN/containerd"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$RUN/containerd.sock.ttrpc"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  enable_selinux = false
  # The kubelet asks for oom_score_adj -998 (sandboxes) and -997 (Guaranteed pods); lowering it
  # needs CAP_SYS_RESOURCE, which root lacks on these machines (runc init then fails: "failed to
  # update /proc/self/oom_score_adj: Permission denied"). Clamp to containerd's own value instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        # runc's state beside ours (its default, /run/containerd/runc, is the Docker engine's containerd's).
        Root = "$RUN/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ""
EOF
  cat >"$STATE/cni/net.d/10-openenv-rx.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "openenv-rx-k8s",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$STATE/cni/ipam",
        "ranges": [[{ "subnet": "$POD_SUBNET" }]], "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

# The bridge exists before the first pod (the CNI bridge plugin adopts it) because the kubelet
# needs its node IP at start.
node_bridge() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  # replace, not show|grep -q||add: under pipefail grep -q's early exit can SIGPIPE `ip` and make
  # a present address look absent (CI once failed with "ipv4: Address already assigned").
  ip addr replace "$NODE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

# --- images ------------------------------------------------------------------------------------
pause_image() {
  if ! docker image inspect "$PAUSE_IMAGE" >/dev/null 2>&1; then
    local ctx; ctx="$(mktemp -d)"
    cp "$BIN/pause" "$ctx/pause"
    printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$ctx/Dockerfile"
    docker build -q -t "$PAUSE_IMAGE" --label "openenv-rx.k8s-pause=1" "$ctx" >/dev/null
    rm -rf "$ctx"
  fi
  load_images "$PAUSE_IMAGE"
}
ctr_k8s() { ctr -a "$SOCK" -n k8s.io "$@"; }
load_images() { # docker image refs -> containerd's k8s.io namespace (no registry is reachable)
  local img
  for img in "$@"; do
    if loaded "$img"; then log "$img already loaded"; continue; fi
    log "loading $img"
    docker save "$img" | ctr_k8s images import - >/dev/null
  done
}
# True when containerd has `img` under its normalised name with the same config digest (image ID)
# as the Docker engine's: a tag moved to another image is loaded again.
loaded() {
  local img="$1" ref manifest
  case "$img" in */*) ref="docker.io/$img" ;; *) ref="docker.io/library/$img" ;; esac
  case "$img" in *:*) ;; *) ref="$ref:latest" ;; esac
  manifest="$(ctr_k8s images ls 2>/dev/null | awk -v r="$ref" '$1 == r { print $3 }')"
  [ -n "$manifest" ] || return 1
  [ "$(ctr_k8s content get "$manifest" 2>/dev/null | jq -r '.config.digest')" = "$(docker image inspect -f '{{.Id}}' "$img" 2>/dev/null)" ]
}

# --- up / down / status ------------------------------------------------------------------------
# Every component running and answering: the API server ready, the scheduler (and
# kube-controller-manager) healthy, the kubelet healthy and its node Ready.
healthy() {
  local n
  for n in $(components); do running "$n" || return 1; done
  api /readyz >/dev/null || return 1
  curl -fsSk --max-time 5 "https://127.0.0.1:$SCHED_PORT/healthz" >/dev/null || return 1
  if with_kcm; then curl -fsSk --max-time 5 "https://127.0.0.1:$KCM_PORT/healthz" >/dev/null || return 1; fi
  curl -fsS --max-time 5 "http://127.0.0.1:$KUBELET_HEALTH_PORT/healthz" >/dev/null || return 1
  node_ready
}
components() { echo etcd containerd kube-apiserver; with_kcm && echo kube-controller-manager; echo kube-scheduler kubelet; }

up() {
  need
  local t0; t0=$(date +%s)
  # Idempotent: on a healthy cluster `up` only loads the images asked for.
  if healthy 2>/dev/null; then
    log "cluster already up and healthy"
    if [ -n "${K8S_LOAD_IMAGES:-}" ]; then load_images $K8S_LOAD_IMAGES; fi
    echo "$KUBECONFIG_OUT"
    return
  fi
  # down removes every KUBE-* iptables chain, which is only right while ours is the only kubelet.
  local other
  for other in $(pgrep -x kubelet || true); do
    [ "$other" = "$(cat "$RUN/kubelet.pid" 2>/dev/null)" ] || die "another kubelet runs here (pid $other): one cluster per machine"
  done
  bash "$HERE/k8s/build.sh" >&2
  mkdir -p "$STATE" "$RUN" "$LOGS"
  pki
  containerd_config

  start etcd etcd --name openenv-rx --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "openenv-rx=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
    --quota-backend-bytes 1073741824
  start containerd containerd --config "$STATE/containerd/config.toml"
  wait_for etcd 60 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
  wait_for containerd 60 ctr -a "$SOCK" version

  node_bridge
  start kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
    --endpoint-reconciler-type none \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-cluster-ip-range "$SERVICE_RANGE" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    $(with_kcm || echo --disable-admission-plugins ServiceAccount) \
    --allow-privileged=false --profiling=false
  wait_for kube-apiserver 180 api /readyz

  if with_kcm; then
  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --leader-elect=false \
    --use-service-account-credentials=true \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --controllers '*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller' \
    --profiling=false
  fi
  start kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig "$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --leader-elect=false --profiling=false

  pause_image

  cat >"$STATE/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTH_PORT
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
# Pod cgroups under our own root (created by up, removed by down), apart from Docker's.
cgroupRoot: /$CGROUP_ROOT
containerRuntimeEndpoint: unix://$SOCK
failSwapOn: false
failCgroupV1: false
resolvConf: /etc/resolv.conf
serializeImagePulls: false
# The images cannot be pulled again (no registry), so image GC must never remove them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# A shared, busy machine: evict only when it is really out of room.
evictionHard: {memory.available: "100Mi", nodefs.available: "2%", imagefs.available: "2%", nodefs.inodesFree: "2%"}
maxPods: 110
# Container logs under our state (default /var/log/pods), removed by down.
podLogsDir: $STATE/pod-logs
EOF
  # The kubelet rewrites kernel-wide sysctls (vm.overcommit_memory=1, kernel.panic_on_oops=1,
  # kernel.panic=10, ...) that differ from what it wants. This kernel is shared by every checkout
  # (and panic_on_oops would turn an oops anywhere into a reboot), so it runs in its own mount
  # namespace where those /proc/sys files are bind-mounted from files holding the values it
  # expects: it reads them, finds nothing to change, and the kernel keeps its settings. /proc is
  # private there (the shims never reach the host, even where / is a shared mount), while the
  # kubelet's root dir is a shared mount on the host, so the volumes it mounts for pods (service
  # account tokens are tmpfs) reach the containerd that runs them.
  sysctl_shims
  kubelet_root_shared
  cgroup_setup
  start kubelet unshare --mount --propagation unchanged sh -c "mount --make-rprivate /proc && $(shim_mounts) exec \"\$0\" \"\$@\"" "$BIN/kubelet" \
    --config "$STATE/kubelet-config.yaml" \
    --kubeconfig "$STATE/node.kubeconfig" --root-dir "$STATE/kubelet" \
    --hostname-override "$NODE" --node-ip "$NODE_IP" --cert-dir "$STATE/kubelet-pki"
  wait_for "node $NODE" 180 node_ready
  # The kubelet registers its node with the not-ready:NoSchedule taint, which kube-controller-manager's
  # node lifecycle controller lifts once the node is Ready; without it, `up` lifts it.
  if ! with_kcm; then
    api "/api/v1/nodes/$NODE" -X PATCH -H 'Content-Type: application/merge-patch+json' \
      -d "$(api "/api/v1/nodes/$NODE" | jq -c '{spec: {taints: [(.spec.taints // [])[] | select(.key != "node.kubernetes.io/not-ready")]}}')" >/dev/null
  fi
  wait_for "node $NODE schedulable" 60 node_schedulable

  if [ -n "${K8S_LOAD_IMAGES:-}" ]; then load_images $K8S_LOAD_IMAGES; fi
  if with_kcm; then wait_for "default service account" 60 api /api/v1/namespaces/default/serviceaccounts/default; fi
  log "cluster up in $(( $(date +%s) - t0 ))s; KUBECONFIG=$KUBECONFIG_OUT"
  echo "$KUBECONFIG_OUT"
}
kubelet_root_shared() {
  mkdir -p "$STATE/kubelet"
  mountpoint -q "$STATE/kubelet" || mount --bind "$STATE/kubelet" "$STATE/kubelet"
  mount --make-shared "$STATE/kubelet"
}
# The values the kubelet insists on (pkg/kubelet/cm/container_manager_linux.go setupKernelTunables).
KUBELET_SYSCTLS="vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1 kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000"
sysctl_shims() {
  mkdir -p "$STATE/sysctl"
  local kv
  for kv in $KUBELET_SYSCTLS; do echo "${kv#*=}" >"$STATE/sysctl/$(echo "${kv%=*}" | tr / _)"; done
}
shim_mounts() { # mount commands for the sysctls whose live value differs
  local kv
  for kv in $KUBELET_SYSCTLS; do
    [ "$(cat "/proc/sys/${kv%=*}")" = "${kv#*=}" ] && continue
    printf 'mount --bind %s /proc/sys/%s && ' "$STATE/sysctl/$(echo "${kv%=*}" | tr / _)" "${kv%=*}"
  done
}

# kube-controller-manager runs unless K8S_CONTROLLER_MANAGER=0: garbage collection by
# ownerReference, namespace deletion, service accounts and their tokens, and the node lifecycle
# (a node that stops reporting is tainted) need it; a pod's own lifecycle (create, run, delete with
# a grace period, evict) does not. Without it no controller creates service accounts, so the
# ServiceAccount admission plugin (which requires one) is turned off and pods get no API token.
with_kcm() { [ "${K8S_CONTROLLER_MANAGER:-1}" = 1 ]; }
node_schedulable() {
  [ "$(api "/api/v1/nodes/$NODE" | jq '[.spec.taints // [] | .[] | select(.effect == "NoSchedule" or .effect == "NoExecute")] | length')" = 0 ]
}
node_ready() {
  [ "$(api "/api/v1/nodes/$NODE" | jq -r '.status.conditions[] | select(.type=="Ready") | .status')" = True ]
}

down() {
  if running kube-apiserver && running kubelet; then
    # Let the kubelet tear pods down itself (CNI DEL releases IPs and iptables rules).
    log "deleting pods"
    local ns i
    for ns in $(api /api/v1/namespaces | jq -r '.items[].metadata.name'); do
      api "/api/v1/namespaces/$ns/pods?gracePeriodSeconds=1" -X DELETE >/dev/null || true
    done
    for i in $(seq 1 60); do
      [ "$(api /api/v1/pods | jq '.items | length')" = 0 ] && break
      sleep 1
    done
  fi
  stop kubelet
  stop kube-scheduler
  stop kube-controller-manager
  stop kube-apiserver
  # Containers the kubelet did not get to remove: kill their tasks through OUR containerd only,
  # and note their sandboxes' network namespaces (containerd 1.6 puts them in /run/netns/cni-*).
  local netns=""
  if running containerd; then
    local c
    netns="$(for c in $(ctr_k8s containers ls -q 2>/dev/null); do
      ctr_k8s containers info "$c" 2>/dev/null | jq -r '.Spec.linux.namespaces[]? | select(.type=="network") | .path // empty'
    done | sort -u)"
    for c in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true; done
    sleep 1
    for c in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks delete -f "$c" >/dev/null 2>&1 || true; done
  fi
  stop containerd
  stop etcd
  # Our shims (each names our socket on its command line) outlive containerd.
  local pid
  for pid in $(pgrep -f -- "-address $SOCK" || true); do kill -9 "$pid" 2>/dev/null || true; done
  # Mounts under our directories (pod volumes, overlay snapshots, sandbox shm, the kubelet's root).
  { grep -oE " ($STATE|$RUN)/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  local ns
  for ns in $netns; do
    case "$ns" in /var/run/netns/cni-*|/run/netns/cni-*) umount "$ns" 2>/dev/null || true; rm -f "$ns" ;; esac
  done
  # CNI's result cache for our network (left when a pod's CNI DEL never ran) and our NAT rules.
  rm -f /var/lib/cni/results/openenv-rx-k8s-* 2>/dev/null || true
  cni_nat_cleanup
  kubelet_iptables_cleanup
  ip link del "$BRIDGE" 2>/dev/null || true
  cgroup_cleanup
  rmdir /var/log/containers 2>/dev/null || true   # the kubelet's symlink dir, when nothing else uses it
  if [ "${1:-}" != "--keep-state" ]; then rm -rf "$STATE" "$RUN"; fi
  log "down"
}

# The bridge plugin's masquerade rules for a pod whose CNI DEL never ran: a POSTROUTING jump to a
# CNI-<hash> chain, commented with our network's name.
cni_nat_cleanup() {
  local rule chain
  while read -r rule; do
    chain="$(echo "$rule" | grep -oE -- '-j CNI-[0-9a-f]+' | cut -d' ' -f2 || true)"
    eval "iptables -t nat ${rule/-A/-D}" 2>/dev/null || true
    if [ -n "$chain" ]; then iptables -t nat -F "$chain" 2>/dev/null || true; iptables -t nat -X "$chain" 2>/dev/null || true; fi
  done < <(iptables -t nat -S POSTROUTING 2>/dev/null | grep -F '"openenv-rx-k8s"' || true)
}
# The kubelet's own chains (KUBE-FIREWALL, KUBE-KUBELET-CANARY, ...): only a kubelet makes KUBE-*
# chains, and ours is the only kubelet on the machine (up refuses to start beside another).
kubelet_iptables_cleanup() {
  local cmd t rule chain
  for cmd in iptables ip6tables; do
    for t in filter nat mangle; do
      while read -r rule; do eval "$cmd -t $t ${rule/-A/-D}" 2>/dev/null || true; done \
        < <($cmd -t "$t" -S 2>/dev/null | grep -E -- '^-A [A-Z]+ .*-j KUBE-' || true)
      for chain in $($cmd -t "$t" -S 2>/dev/null | grep -oE '^-N KUBE-[A-Z0-9-]+' | cut -d' ' -f2 || true); do
        $cmd -t "$t" -F "$chain" 2>/dev/null || true
      done
      for chain in $($cmd -t "$t" -S 2>/dev/null | grep -oE '^-N KUBE-[A-Z0-9-]+' | cut -d' ' -f2 || true); do
        $cmd -t "$t" -X "$chain" 2>/dev/null || true
      done
    done
  done
}
# The kubelet's pod cgroups live under our own cgroup root (kubelet cgroupRoot), empty once every
# container is gone: removed deepest first.
CGROUP_ROOT=openenv-rx-k8s
cgroup_dirs() { local d; for d in /sys/fs/cgroup/*/; do [ -d "$d$CGROUP_ROOT" ] && echo "$d$CGROUP_ROOT"; done; [ -d "/sys/fs/cgroup/$CGROUP_ROOT" ] && echo "/sys/fs/cgroup/$CGROUP_ROOT"; true; }
cgroup_setup() {
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then mkdir -p "/sys/fs/cgroup/$CGROUP_ROOT"; return; fi
  local d
  for d in /sys/fs/cgroup/*/; do
    [ -d "$d" ] && mountpoint -q "$d" || continue
    mkdir -p "$d$CGROUP_ROOT"
    # A new cpuset cgroup starts with no CPUs or memory nodes: give it its parent's.
    if [ -f "${d}cpuset.cpus" ]; then
      cat "${d}cpuset.cpus" >"$d$CGROUP_ROOT/cpuset.cpus"; cat "${d}cpuset.mems" >"$d$CGROUP_ROOT/cpuset.mems"
    fi
  done
}
cgroup_cleanup() {
  local d
  for d in $(cgroup_dirs); do find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true; done
}

# The proof that the cluster runs real pods: the image's server answers /health on the pod IP.
smoke() { # docker image (loaded here if containerd lacks it)
  local img="$1" name="openenv-rx-smoke-$$" ip="" phase="" i ok=0 t0
  load_images "$img"
  t0=$(date +%s)
  jq -n --arg name "$name" --arg img "$img" '{apiVersion:"v1",kind:"Pod",
    metadata:{name:$name,labels:{"openenv-rx/smoke":"1"}},
    spec:{automountServiceAccountToken:false,terminationGracePeriodSeconds:1,
      containers:[{name:"server",image:$img,imagePullPolicy:"Never",ports:[{containerPort:8000}]}]}}' |
    api /api/v1/namespaces/default/pods -X POST -H 'Content-Type: application/json' -d @- >/dev/null
  for i in $(seq 1 240); do
    read -r phase ip < <(api "/api/v1/namespaces/default/pods/$name" | jq -r '"\(.status.phase) \(.status.podIP // "")"')
    if [ "$phase" = Running ] && [ -n "$ip" ] && curl -fsS --max-time 2 "http://$ip:8000/health"; then ok=1; break; fi
    sleep 0.5
  done
  if [ $ok = 1 ]; then
    echo; log "pod $name Running at $ip; /health answered $(( $(date +%s) - t0 ))s after create"
  else
    api "/api/v1/namespaces/default/pods/$name" | jq '.status' >&2 || true
  fi
  api "/api/v1/namespaces/default/pods/$name?gracePeriodSeconds=1" -X DELETE >/dev/null || true
  [ $ok = 1 ] || die "smoke pod did not become healthy (phase $phase)"
}

# The node as the control plane sees a node that is gone: its kubelet stops reporting (frozen, so
# its containers keep running, as on a node cut off from the API server), and after the node
# monitor's grace period (50 s) the node lifecycle controller marks it NotReady and its pods not ready.
node_fault() { # freeze|thaw
  running kubelet || die "the kubelet does not run"
  local pid; pid="$(cat "$RUN/kubelet.pid")"
  case "$1" in
    freeze) kill -STOP "$pid"; log "kubelet (pid $pid) frozen" ;;
    thaw)
      kill -CONT "$pid"; log "kubelet (pid $pid) thawed"
      wait_for "node $NODE" 180 node_ready
      with_kcm && wait_for "node $NODE schedulable" 120 node_schedulable
      ;;
    *) die "node freeze|thaw" ;;
  esac
}

apiserver_fault() { # stop|start
  case "$1" in
    stop) stop kube-apiserver; log "kube-apiserver stopped" ;;
    start) up >/dev/null ;;
    *) die "apiserver stop|start" ;;
  esac
}

status() { # exit 0 only when healthy
  local n
  for n in $(components); do
    if running "$n"; then echo "$n: running (pid $(cat "$RUN/$n.pid"))"; else echo "$n: stopped"; fi
  done
  if running kube-apiserver; then
    api /api/v1/nodes | jq -r '.items[] | "node \(.metadata.name): Ready=\(.status.conditions[] | select(.type=="Ready") | .status) \(.status.nodeInfo.kubeletVersion) \(.status.nodeInfo.containerRuntimeVersion)"' || true
  fi
  echo "KUBECONFIG=$KUBECONFIG_OUT"
  if healthy 2>/dev/null; then echo "healthy"; else echo "not healthy"; return 1; fi
}

case "${1:-}" in
  up) up ;;
  down) shift; down "$@" ;;
  status) status ;;
  load) shift; load_images "$@" ;;
  smoke) shift; smoke "${1:?image}" ;;
  node) shift; node_fault "${1:-}" ;;
  apiserver) shift; apiserver_fault "${1:-}" ;;
  *) echo "usage: $0 up|down [--keep-state]|status|load IMAGE...|smoke IMAGE|node freeze|thaw|apiserver stop|start" >&2; exit 2 ;;
esac

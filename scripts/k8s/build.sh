#!/usr/bin/env bash
# Builds the Kubernetes components the test cluster needs from their Go modules at a
# pinned release, into a per-version cache reused between runs:
#   ${K8S_CACHE:-~/.cache/openenv-rx/k8s}/<version>/bin/{kube-apiserver,kube-scheduler,kubelet,kube-controller-manager,pause}
#   (kube-controller-manager unless K8S_CONTROLLER_MANAGER=0; no kubectl: its tree, kustomize
#   included, is large and the scripts speak to the API with curl).
# k8s.io/kubernetes replaces its staging modules with ./staging paths that its module
# zip does not carry, so we build from a small wrapper module that requires it and pins
# every staging module to the matching v0.x release.
# Runs under nice -n 19 (K8S_BUILD_NICE): the machine is shared.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.34.4}"
CACHE="${K8S_CACHE:-$HOME/.cache/openenv-rx/k8s}"
OUT="$CACHE/$K8S_VERSION/bin"
SRC="$CACHE/$K8S_VERSION/src"
HERE="$(cd "$(dirname "$0")" && pwd)"
# The core a pod needs, plus kube-controller-manager (service accounts, garbage collection by
# ownerReference, namespace deletion, node lifecycle) unless K8S_CONTROLLER_MANAGER=0.
CORE=(kube-apiserver kube-scheduler kubelet)
COMPONENTS=("${CORE[@]}")
if [ "${K8S_CONTROLLER_MANAGER:-1}" = 1 ]; then COMPONENTS+=(kube-controller-manager); fi

have_all() {
  local c
  for c in "${COMPONENTS[@]}" pause; do [ -x "$OUT/$c" ] || return 1; done
}
if have_all; then echo "k8s $K8S_VERSION binaries cached in $OUT"; exit 0; fi

mkdir -p "$OUT" "$SRC"
# One build per version at a time (CI beside a developer): the second waits, then finds the cache.
exec 9>"$CACHE/$K8S_VERSION/.build.lock"
flock 9
if have_all; then echo "k8s $K8S_VERSION binaries cached in $OUT"; exit 0; fi
staging_minor="v0.${K8S_VERSION#v1.}"   # v1.34.4 -> v0.34.4
STAGING=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
  cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms
  kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller)

cd "$SRC"
if [ ! -f go.mod ]; then
  {
    echo "module openenv-rx/k8s-build"
    echo
    echo "go 1.24.0"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    for m in "${STAGING[@]}"; do echo "	k8s.io/$m => k8s.io/$m $staging_minor"; done
    echo ")"
  } > go.mod
fi

ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
  ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done

build() { # components...
  local pkgs=() c
  for c in "$@"; do [ -x "$OUT/$c" ] || pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  [ ${#pkgs[@]} -gt 0 ] || return 0
  echo "building ${pkgs[*]}"
  # -mod=mod lets go build fill go.sum/requirements from k8s.io/kubernetes' own go.mod.
  CGO_ENABLED=0 GOFLAGS=-mod=mod nice -n "${K8S_BUILD_NICE:-19}" go build -p "${K8S_BUILD_JOBS:-2}" -trimpath \
    -ldflags "$ldflags" -o "$OUT/" "${pkgs[@]}"
}
start=$(date +%s)
build "${COMPONENTS[@]}"
# The pause container: no registry is reachable, so the sandbox image is built here.
[ -x "$OUT/pause" ] || CGO_ENABLED=0 nice -n 19 go build -trimpath -ldflags "-s -w" -o "$OUT/pause" "$HERE/pause/pause.go"
echo "built k8s $K8S_VERSION into $OUT in $(( $(date +%s) - start ))s"

#!/usr/bin/env bash
# Checks everything under docker/ with tools that run without a Docker engine:
#   1. hadolint            docker/Dockerfile
#   2. shellcheck          docker/*.sh
#   3. check-jsonschema    docker/compose.yaml against the compose-spec schema (vendored in
#                          the package, no download)
#   4. haproxy -c          docker/haproxy.cfg (Debian's haproxy, unpacked under target/)
#      promtool            docker/prometheus.yml, and each Grafana panel's PromQL (Debian's
#                          prometheus, unpacked under target/)
#   5. kubectl kustomize   docker/k8s/overlays/{dev,production}, then kubernetes-validate
#                          --strict against the Kubernetes OpenAPI schemas it ships
#   6. check_stack.py      cross-file consistency (ports, secrets, scrapes, probes, policies),
#                          and its own tests
#   7. checkov             Dockerfile + rendered manifests (security), and a secrets scan of
#                          docker/; any failed check fails the run, exceptions are inline skips
#                          with their reason
# Tools are installed on first use into target/deploy-check/ (a venv, unpacked Debian packages)
# and reused after; nothing is installed system-wide. Run from anywhere:  docker/check.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# DEPLOY_CHECK_DIR moves the tools and outputs elsewhere (e.g. to try a fresh install).
work="${DEPLOY_CHECK_DIR:-target/deploy-check}"
mkdir -p "$work/rendered"
work="$(cd "$work" && pwd)"
venv="$work/venv"
k8s_version="1.31"

step() { printf '\n== %s\n' "$*"; }
passed=0
failed=0
failures=()
run() {
  local name="$1"
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok: $name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "FAILED: $name"
  fi
}

# --- tools -------------------------------------------------------------------------------
requirements="docker/check-requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  step "installing check tools into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"

if ! command -v kubectl > /dev/null; then
  echo "kubectl is required (it renders kustomize); install it and re-run" >&2
  exit 1
fi

# haproxy and promtool only come as Debian packages: unpack them (with the libraries the slim
# machine lacks) instead of installing them, so no service starts and the system stays untouched.
# unpack DIR PACKAGE...: extracts the packages into DIR once.
unpack() {
  local dir="$1"
  shift
  [[ -d "$dir/usr" ]] && return 0
  command -v apt-get > /dev/null || return 0
  step "unpacking Debian's $* into $dir"
  local debs
  debs="$(mktemp -d)"
  if ! (cd "$debs" && apt-get download "$@" > /dev/null 2>&1); then
    apt-get update -qq > /dev/null
    (cd "$debs" && apt-get download "$@" > /dev/null)
  fi
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
  rm -rf "$debs"
}
haproxy_dir="$work/haproxy"
unpack "$haproxy_dir" haproxy liblua5.3-0 libopentracing-c-wrapper0 libopentracing1
haproxy() {
  LD_LIBRARY_PATH="$haproxy_dir/usr/lib/x86_64-linux-gnu" "$haproxy_dir/usr/sbin/haproxy" "$@"
}
prometheus_dir="$work/prometheus"
unpack "$prometheus_dir" prometheus
promtool() { "$prometheus_dir/usr/bin/promtool" "$@"; }

# Keep checkov offline: no guideline download, no telemetry, no package scan.
export BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false ANONYMIZE_TELEMETRY=true
# No __pycache__ beside the checked files.
export PYTHONDONTWRITEBYTECODE=1

# --- checks ------------------------------------------------------------------------------
step "hadolint docker/Dockerfile"
run hadolint hadolint docker/Dockerfile

step "shellcheck docker/*.sh"
run shellcheck shellcheck docker/check.sh docker/secrets.sh

step "compose-spec schema: docker/compose.yaml"
run compose-schema check-jsonschema --builtin-schema vendor.compose-spec docker/compose.yaml
# Where the compose plugin exists (not on this machine), let it interpolate and validate too.
if docker compose version > /dev/null 2>&1; then
  docker/secrets.sh "$work/secrets" > /dev/null
  run compose-config env PLATFORM_SECRETS_DIR="$work/secrets" \
    docker compose -f docker/compose.yaml config --quiet
fi

if [[ -x "$haproxy_dir/usr/sbin/haproxy" ]]; then
  step "haproxy -c docker/haproxy.cfg ($(haproxy -v | sed -n '1s/ - .*//p'))"
  run haproxy-config haproxy -q -c -f docker/haproxy.cfg
else
  step "haproxy -c: skipped (no apt-get to fetch Debian's haproxy on this machine)"
fi

if [[ -x "$prometheus_dir/usr/bin/promtool" ]]; then
  step "promtool: docker/prometheus.yml, and every dashboard query through the PromQL parser"
  run prometheus-config promtool check config --syntax-only docker/prometheus.yml
  run dashboard-promql-gen python docker/check_stack.py --dashboard-rules \
    "$work/dashboard-rules.yml" docker/grafana/dashboards/*.json
  run dashboard-promql promtool check rules "$work/dashboard-rules.yml"
else
  step "promtool: skipped (no apt-get to fetch Debian's prometheus on this machine)"
fi

step "kustomize + Kubernetes $k8s_version schemas"
rendered=()
for overlay in dev production; do
  out="$work/rendered/$overlay.yaml"
  run "kustomize $overlay" kubectl kustomize "docker/k8s/overlays/$overlay" -o "$out"
  rendered+=("$out")
done
run kubernetes-validate kubernetes-validate --strict --quiet -k "$k8s_version" "${rendered[@]}"

step "cross-file consistency"
run check-stack python docker/check_stack.py docker "${rendered[@]}"
run check-stack-tests python docker/check_stack_test.py

step "checkov: Dockerfile and rendered manifests"
checkov_files=()
for f in docker/Dockerfile "${rendered[@]}"; do checkov_files+=(-f "$f"); done
run checkov-iac checkov --skip-download --quiet --compact --framework dockerfile kubernetes \
  "${checkov_files[@]}"
step "checkov: secrets in docker/"
run checkov-secrets checkov --skip-download --quiet --compact --framework secrets -d docker \
  --skip-path docker/secrets

echo
echo "deploy-checks: $passed passed, $failed failed"
if ((failed > 0)); then
  printf '  failed: %s\n' "${failures[@]}"
  exit 1
fi

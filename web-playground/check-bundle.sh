#!/usr/bin/env bash
# Rebuilds the playground into a temporary directory and fails when the result differs from the
# committed dist/: the gateway embeds dist/, so it must be exactly what the sources produce.
#   ./check-bundle.sh            # installs from package-lock.json first when node_modules is stale
#   UPDATE=1 ./check-bundle.sh   # rebuild dist/ in place instead of comparing
set -euo pipefail
cd "$(dirname "$0")"

# npm ci when node_modules is missing or older than the lockfile (npm records the installed tree
# in node_modules/.package-lock.json).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

npx --no-install tsc --noEmit

if [ "${UPDATE:-0}" = 1 ]; then
  npx --no-install vite build --logLevel warn
  echo "dist/ rebuilt"
  exit 0
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
npx --no-install vite build --logLevel warn --outDir "$out" --emptyOutDir

if ! diff -r -q dist "$out" >/dev/null; then
  echo "web-playground/dist/ is not what the sources build to:" >&2
  diff -r -q dist "$out" >&2 || true
  echo "Rebuild it with 'npm run build' (or UPDATE=1 ./check-bundle.sh) and commit dist/." >&2
  exit 1
fi
echo "web-playground/dist/ matches a fresh build"

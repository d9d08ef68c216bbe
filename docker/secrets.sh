#!/usr/bin/env bash
# Writes the secret files compose.yaml mounts (default: docker/secrets/), with random
# passwords, keeping any file that already exists so re-running never rotates a live password.
#   docker/secrets.sh [DIR]          (or PLATFORM_SECRETS_DIR=DIR docker/secrets.sh)
# Set PLATFORM_SMTP_PASSWORD to store the real SMTP password; otherwise a placeholder is written.
set -euo pipefail

dir="${1:-${PLATFORM_SECRETS_DIR:-$(dirname "$0")/secrets}}"
mkdir -p "$dir"
chmod 700 "$dir"

random() { LC_ALL=C tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 40 || true; }

# write NAME VALUE: creates $dir/NAME unless it exists. Mode 0644 because compose (outside swarm)
# bind-mounts the file with its host mode and the services run as non-root users; the 0700
# directory keeps other host users out.
write() {
  local path="$dir/$1"
  if [[ -e "$path" ]]; then
    echo "keep   $path"
    return
  fi
  (umask 022 && printf '%s' "$2" > "$path")
  echo "wrote  $path"
}

# Read back (not regenerated) so derived files agree with existing passwords.
write postgres_password "$(random)"
write redis_password "$(random)"
pg_password="$(cat "$dir/postgres_password")"
redis_password="$(cat "$dir/redis_password")"

write database_url "postgres://platform:${pg_password}@postgres:5432/platform"
write redis_auth.conf "requirepass ${redis_password}"$'\n'
write redis_url "redis://:${redis_password}@redis:6379/0"
write smtp_password "${PLATFORM_SMTP_PASSWORD:-change-me}"
write grafana_admin_password "$(random)"

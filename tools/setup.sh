#!/usr/bin/env bash
# Installs what clonepool's tests, demo and docs need on a Debian/Ubuntu machine
# with Node >= 20.19: the system packages (memcached, pylibmc for the
# interoperability tests, redis-server, chromium for the site's browser test)
# when they are missing, and the workspace's packages from the frozen lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
need=()
command -v memcached >/dev/null || need+=(memcached)
command -v redis-server >/dev/null || need+=(redis-server)
/usr/bin/python3 -c 'import pylibmc' 2>/dev/null || need+=(python3-pylibmc)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing ${need[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  elif command -v sudo >/dev/null; then
    echo "Installing ${need[*]} with sudo apt-get"
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "Missing ${need[*]}: install them with your package manager (Debian: apt-get install ${need[*]})." >&2
    exit 1
  fi
fi

# pnpm, pinned, from the npm registry (corepack needs COREPACK_INTEGRITY_KEYS=0 on
# some machines; npm and npx do not). Without a global install, a shim in
# .tools/bin runs it through npx; tools/env.sh puts that on PATH.
if ! command -v pnpm >/dev/null || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  if ! npm install --global --silent "pnpm@$PNPM_VERSION" >/dev/null 2>&1; then
    mkdir -p .tools/bin
    printf '#!/bin/sh\nexec npx --yes pnpm@%s "$@"\n' "$PNPM_VERSION" > .tools/bin/pnpm
    chmod +x .tools/bin/pnpm
    export PATH="$PWD/.tools/bin:$PATH"
  fi
fi
pnpm install --frozen-lockfile --reporter=silent

#!/usr/bin/env bash
# Installs what one of the README's commands needs on a Debian/Ubuntu machine
# with Node >= 20.19 and npm, and nothing else; it never replaces a tool you
# already have.
#
#   bash tools/setup.sh demo   memcached, and the demo's packages
#   bash tools/setup.sh test   memcached, pylibmc (interoperability tests),
#                              redis-server (an example's tests), chromium (the
#                              site's browser test), and every package
#
# System packages come from apt-get (as root or through sudo), only when
# missing. pnpm is the version package.json pins: yours when `pnpm --version`
# is that version, else a private copy in .tools/ that only these scripts put
# on PATH (never a global install).
set -euo pipefail
cd "$(dirname "$0")/.."

purpose=${1:-test}
case "$purpose" in
  demo | test) ;;
  *)
    echo "usage: bash tools/setup.sh demo|test" >&2
    exit 2
    ;;
esac

if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "clonepool needs Node 20.19 or newer; this is $(node --version)." >&2
  exit 1
fi

need=()
command -v memcached >/dev/null || need+=(memcached)
if [ "$purpose" = test ]; then
  command -v redis-server >/dev/null || need+=(redis-server)
  /usr/bin/python3 -c 'import pylibmc' 2>/dev/null || need+=(python3-pylibmc)
  [ -x /usr/bin/chromium ] || need+=(chromium)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null; then
    sudo=(sudo)
  else
    echo "Missing ${need[*]}: install them with your package manager (Debian: apt-get install ${need[*]})." >&2
    exit 1
  fi
  echo "Installing ${need[*]} with ${sudo[*]:+sudo }apt-get"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The pinned pnpm. A private copy (npm install --prefix .tools) rather than corepack, which
# Node 25 no longer ships and which some machines need COREPACK_INTEGRITY_KEYS=0 to run.
pnpm_version=$(node -p 'require("./package.json").packageManager.replace(/^pnpm@/, "")')
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  if [ "$(.tools/node_modules/.bin/pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
    echo "Installing pnpm $pnpm_version in .tools/ (your own pnpm, if any, stays as it is)"
    npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error "pnpm@$pnpm_version"
  fi
  mkdir -p .tools/bin
  ln -sf ../node_modules/.bin/pnpm .tools/bin/pnpm
  export PATH="$PWD/.tools/bin:$PATH"
fi

if [ "$purpose" = demo ]; then
  # The demo runs examples/http-cache-server from source: its packages and the workspace packages it uses.
  pnpm install --frozen-lockfile --reporter=silent --filter '@clonepool/example-http-cache-server...'
else
  pnpm install --frozen-lockfile --reporter=silent
fi

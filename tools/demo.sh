#!/usr/bin/env bash
# The main demo from a fresh clone: installs what it needs (memcached and the
# demo's packages; see tools/setup.sh), then runs it (--help: what it does).
set -euo pipefail
cd "$(dirname "$0")/.."
# --help installs and starts nothing: it only says what the demo does.
for arg in "$@"; do
  case "$arg" in -h | --help) exec node tools/demo.mjs --help ;; esac
done
bash tools/setup.sh demo
export PATH="$PWD/.tools/bin:$PWD/node_modules/.bin:$PATH"
exec node tools/demo.mjs "$@"

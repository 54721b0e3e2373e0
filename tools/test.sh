#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what it needs (see
# tools/setup.sh), then runs every check (tools/check.mjs). The last line it
# prints is `N passed, N failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh test
export PATH="$PWD/.tools/bin:$PWD/node_modules/.bin:$PATH"
exec node tools/check.mjs

#!/usr/bin/env bash
# The main demo from a fresh clone: installs what is missing, then runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export PATH="$PWD/.tools/bin:$PWD/node_modules/.bin:$PATH"
exec node tools/demo.mjs "$@"

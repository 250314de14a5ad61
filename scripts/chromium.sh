#!/usr/bin/env bash
# chromium.sh — the headless browser the UI tests drive (chromedp): Debian's
# `chromium` package, installed with apt-get when no Chromium or Chrome is on
# PATH (or $VIGIL_CHROMIUM names a missing file). Idempotent; needs root or sudo
# only when it installs. Messages go to stderr.
#
#   scripts/chromium.sh            install when missing, print the binary's path
set -euo pipefail

say() { echo "chromium.sh: $*" >&2; }

find_browser() {
  if [ -n "${VIGIL_CHROMIUM:-}" ] && [ -x "$VIGIL_CHROMIUM" ]; then
    echo "$VIGIL_CHROMIUM"
    return 0
  fi
  local name
  for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

if bin=$(find_browser); then
  echo "$bin"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
say "installing chromium (apt-get; a few minutes the first time)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq chromium >/dev/null
if ! bin=$(find_browser); then
  say "chromium is still not on PATH after apt-get install"
  exit 1
fi
"$bin" --version >&2 || true
echo "$bin"

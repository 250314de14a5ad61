#!/usr/bin/env bash
# ensure-apt.sh COMMAND PACKAGE [COMMAND PACKAGE ...]
# Installs each Debian PACKAGE whose COMMAND is not on PATH (apt-get update
# once, only when something is missing). Needs root or sudo.
set -euo pipefail
missing=()
while [ $# -ge 2 ]; do
  command -v "$1" >/dev/null 2>&1 || missing+=("$2")
  shift 2
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing ${missing[*]} (apt)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

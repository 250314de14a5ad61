#!/usr/bin/env bash
# dynalite.sh — the test environment's DynamoDB: dynalite 4.0.0 (pinned by
# scripts/dynalite/package.json and package-lock.json), on loopback.
#
#   scripts/dynalite.sh install   npm ci into scripts/dynalite/node_modules unless that version is there
#                                 (installs nodejs and npm with apt when node or npm is missing)
#   scripts/dynalite.sh path      print the path of the dynalite command
#
# The Go tests start a dynalite of their own per test (adapters/dynamodb/dynamotest); only the
# install is needed. Messages go to stderr.
set -euo pipefail

DIR=$(cd "$(dirname "$0")/dynalite" && pwd)
VERSION=4.0.0
BIN="$DIR/node_modules/dynalite/cli.js"

say() { echo "dynalite.sh: $*" >&2; }

installed() {
  [ -f "$DIR/node_modules/dynalite/package.json" ] &&
    grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/dynalite/package.json" &&
    node -e "require('$DIR/node_modules/dynalite')" >/dev/null 2>&1
}

install() {
  "$(dirname "$0")/ensure-apt.sh" node nodejs npm npm
  installed && return 0
  say "installing dynalite $VERSION (npm ci in $DIR)"
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
  installed || { say "npm ci did not leave a working dynalite $VERSION in $DIR/node_modules"; exit 1; }
}

case "${1:-}" in
install) install ;;
path) echo "$BIN" ;;
*)
  sed -n '2,/^set -e/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac

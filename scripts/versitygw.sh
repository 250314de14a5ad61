#!/usr/bin/env bash
# versitygw.sh — the test environment's S3 server: versitygw v1.8.0, posix
# backend, on loopback.
#
#   scripts/versitygw.sh install     go install it into $(go env GOPATH)/bin unless that version is there
#   scripts/versitygw.sh start       start one in the background (data in a temporary directory, a free
#                                    port, new root credentials) and print, for eval, the variables the
#                                    tests read: VIGIL_TEST_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _REGION
#   scripts/versitygw.sh stop        stop it and remove its data
#
#   eval "$(scripts/versitygw.sh start)"; go test ./...; scripts/versitygw.sh stop
#
# The Go tests do not need `start`: adapters/s3/s3test starts a versitygw of its own per test (only the
# binary must be installed). `start` is for pointing them, or a person, at one long-lived server.
# State lives in $VIGIL_VGW_STATE (default ${TMPDIR:-/tmp}/vigil-versitygw-$UID). Messages go to stderr.
set -euo pipefail

VERSION=v1.8.0
MODULE=github.com/versity/versitygw/cmd/versitygw
GO=${GO:-go}
STATE=${VIGIL_VGW_STATE:-${TMPDIR:-/tmp}/vigil-versitygw-$(id -u)}

say() { echo "versitygw.sh: $*" >&2; }

binary() { echo "$($GO env GOBIN 2>/dev/null || true)"; }

bin_path() {
  local gobin
  gobin=$($GO env GOBIN)
  [ -n "$gobin" ] || gobin="$($GO env GOPATH | cut -d: -f1)/bin"
  echo "$gobin/versitygw"
}

install() {
  local bin
  bin=$(bin_path)
  if [ -x "$bin" ] && $GO version -m "$bin" 2>/dev/null | grep -qE "^[[:space:]]+mod[[:space:]]+github.com/versity/versitygw[[:space:]]+$VERSION[[:space:]]"; then
    return 0
  fi
  say "installing $MODULE@$VERSION (go install; a few minutes the first time)"
  $GO install "$MODULE@$VERSION"
  [ -x "$bin" ] || { say "go install did not leave $bin"; exit 1; }
}

healthy() { # healthy PORT: GET /health answers 200 (bash's /dev/tcp: no curl needed)
  local line
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  IFS= read -r -t 2 line <&3 || line=""
  exec 3<&- 3>&-
  [[ "$line" == *" 200"* ]]
}

in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; }

start() {
  if running; then
    say "already running (pid $(cat "$STATE/pid"))"
    cat "$STATE/env"
    return 0
  fi
  install
  rm -rf "$STATE"
  mkdir -p "$STATE/data"
  chmod 700 "$STATE"
  local access secret port pid
  access="vigil$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
  secret="$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')"
  for _ in $(seq 20); do
    port=$((20000 + RANDOM % 40000))
    in_use "$port" && continue
    # The credentials go through the environment, not the command line (ps shows that).
    ROOT_ACCESS_KEY_ID="$access" ROOT_SECRET_ACCESS_KEY="$secret" \
      nohup "$(bin_path)" --port "127.0.0.1:$port" --health /health --quiet posix "$STATE/data" \
      >"$STATE/log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$STATE/pid"
    for _ in $(seq 300); do # 15 s
      if healthy "$port"; then
        umask 077
        cat >"$STATE/env" <<EOF
export VIGIL_TEST_S3_ENDPOINT=http://127.0.0.1:$port
export VIGIL_TEST_S3_ACCESS_KEY=$access
export VIGIL_TEST_S3_SECRET_KEY=$secret
export VIGIL_TEST_S3_REGION=us-east-1
EOF
        say "running on http://127.0.0.1:$port (pid $pid, data $STATE/data)"
        cat "$STATE/env"
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break # it exited: the port was taken, try another
      sleep 0.05
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  say "could not start versitygw; its last output:"
  tail -5 "$STATE/log" >&2 || true
  exit 1
}

stop() {
  if running; then
    local pid
    pid=$(cat "$STATE/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
    say "stopped (pid $pid)"
  fi
  rm -rf "$STATE"
}

case "${1:-}" in
install) install ;;
start) start ;;
stop) stop ;;
*)
  sed -n '2,/^set -e/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac

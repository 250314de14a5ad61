#!/usr/bin/env bash
# lambda-rie.sh — the test environment's Lambda: the AWS Lambda Runtime Interface Emulator
# (aws-lambda-rie, pinned), which runs a binary as a Lambda function and takes invocations on
# POST http://ADDR/2015-03-31/functions/function/invocations.
#
#   scripts/lambda-rie.sh install   go install it into $(go env GOPATH)/bin unless that version is there
#   scripts/lambda-rie.sh path      print the path of the aws-lambda-rie command
#
# The Go tests (cmd/vigil-validator) start one of their own per test; only the install is needed.
# Messages go to stderr.
set -euo pipefail

VERSION=v0.0.0-20261030222936-bef5c4ba774d
MODULE=github.com/aws/aws-lambda-runtime-interface-emulator
GO=${GO:-go}

say() { echo "lambda-rie.sh: $*" >&2; }

bin_path() {
  local gobin
  gobin=$($GO env GOBIN)
  [ -n "$gobin" ] || gobin="$($GO env GOPATH | cut -d: -f1)/bin"
  echo "$gobin/aws-lambda-rie"
}

install() {
  local bin
  bin=$(bin_path)
  if [ -x "$bin" ] && $GO version -m "$bin" 2>/dev/null | grep -qE "^[[:space:]]+mod[[:space:]]+$MODULE[[:space:]]+$VERSION([[:space:]]|$)"; then
    return 0
  fi
  say "installing $MODULE/cmd/aws-lambda-rie@$VERSION (go install)"
  $GO install "$MODULE/cmd/aws-lambda-rie@$VERSION"
  [ -x "$bin" ] || { say "go install did not leave $bin"; exit 1; }
}

case "${1:-}" in
install) install ;;
path) bin_path ;;
*)
  sed -n '2,/^set -e/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac

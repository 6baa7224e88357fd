#!/usr/bin/env bash
# `npm test`: type-check, then every Jest test. The serial tests need socat (a real pty pair);
# install it when we can (root + apt-get), otherwise stop with the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "npm test: installing ${need[*]} (needed by the serial/pty tests)" >&2
    (apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${need[@]}"; }) >&2
  else
    echo "npm test: missing ${need[*]}; install it first:  sudo apt-get install -y ${need[*]}" >&2
    exit 2
  fi
fi

npx tsc --noEmit
NODE_OPTIONS='--experimental-vm-modules --disable-warning=ExperimentalWarning' npx jest --ci "$@"

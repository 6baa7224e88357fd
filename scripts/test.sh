#!/usr/bin/env bash
# `npm test`: type-check, build, then every Jest test. The serial tests need socat (a real pty pair),
# the OpenOCD tests the real openocd binary (dummy adapter, no hardware) and the report tests a
# headless Chromium (Debian's package: the resilience map is checked as a browser lays it out);
# install what is missing when we can (root + apt-get), otherwise stop with the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v openocd >/dev/null 2>&1 || need+=(openocd)
# A product rig reads its shared SPI NOR with flashrom (tested on its dummy programmer, an emulated W25Q).
command -v flashrom >/dev/null 2>&1 || need+=(flashrom)
# The lab (hil worker, leases, health checks) is tested against a real redis-server on 127.0.0.1;
# each test starts its own on a free port (the package's own service is not used).
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# test/helpers/browser.ts looks for these (or HIL_CHROMIUM); Debian's package is `chromium`.
if [ -z "${HIL_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then
  need+=(chromium)
fi
# The JUnit XML of `hil run` is validated against the Jenkins and Ant JUnit schemas (test/report/junit.test.ts).
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
# The completion tests run each script in its own shell; without zsh or fish those few are skipped.
optional=()
command -v zsh >/dev/null 2>&1 || optional+=(zsh)
command -v fish >/dev/null 2>&1 || optional+=(fish)
if ((${#need[@]} + ${#optional[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    all=("${need[@]}" "${optional[@]}")
    echo "npm test: installing ${all[*]} (serial/pty, OpenOCD, flashrom, Redis, browser, JUnit schema and shell-completion tests)" >&2
    (apt-get install -y -qq "${all[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${all[@]}"; }) >&2 || ((${#need[@]} == 0))
  elif ((${#need[@]})); then
    echo "npm test: missing ${need[*]}; install it first:  sudo apt-get install -y ${need[*]} ${optional[*]}" >&2
    exit 2
  else
    echo "npm test: ${optional[*]} missing: their completion tests are skipped (sudo apt-get install -y ${optional[*]})" >&2
  fi
fi

npx tsc --noEmit
# The CLI tests run `node bin/hil.js` and `hil run`'s Jest loads dist/: build it every time
# (incremental, about 3 s when nothing changed), so a stale dist/ is never what gets tested.
npx tsc -p tsconfig.build.json
NODE_OPTIONS='--experimental-vm-modules --disable-warning=ExperimentalWarning' npx jest --ci "$@"

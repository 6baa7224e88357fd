# syntax=docker/dockerfile:1
#
# hilrig on a Raspberry Pi (arm64 first; the same file builds amd64 for CI and laptops):
#   docker buildx build --platform linux/arm64,linux/amd64 -t hilrig .
#   docker buildx build --platform linux/arm64 --build-arg GPIO_GID=$(getent group gpio | cut -d: -f3) -t hilrig --load .
# Twin campaigns need nothing else (`docker run --rm hilrig`); real rigs need their devices passed
# in: see README "Docker" and docs/wiring.md.
#
# Base: Debian bookworm, on purpose:
#   - openocd 0.12.0-1, the version the OpenOCD tests and the reference notes were run against
#     (its interface/target scripts are what rigs/pi-*.yaml name);
#   - gpiod 1.6.3 (libgpiod v1 tools), the same as Raspberry Pi OS bookworm on the host; hil
#     detects v1 or v2 at start and drives both (v1: gpioset --mode=signal per change);
#   - uhubctl 2.5.0 and socat are in bookworm's main archive.
# trixie-slim (DEBIAN=trixie) brings libgpiod v2, whose single long-lived `gpioset -i` has no
# release window between level changes (reference §3.6 a): pick it when the Pi runs Raspberry Pi
# OS trixie, after checking that trixie's gpioset has -i (it needs editline at build time).
ARG DEBIAN=bookworm
ARG NODE=22

# ---- build: node_modules with the compilers the native addons need (epoll, under onoff, has no
# prebuilt binaries; @serialport/bindings-cpp and @swc/core ship linux-arm64/x64 ones), then dist/
# (src/ compiled by tsc), then the devDependencies pruned: hil runs the compiled JavaScript, and
# `hil run`'s Jest loads dist/ with no transform, so typescript, tsx and @swc/* are build tools.
FROM node:${NODE}-${DEBIAN}-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, on their own layer: a change in src/ does not rebuild the native addons.
# (`prepare` finds no src/ yet and builds nothing.)
COPY package.json package-lock.json ./
COPY scripts/prepare.js scripts/prepare.js
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime: the tools hil spawns, no compilers.
FROM node:${NODE}-${DEBIAN}-slim
#   openocd: flashing and dumps; gpiod: gpioset/gpioget/gpiomon/gpiodetect (relays, BOOT/RESET,
#   the marker input); socat: twin on a pty, `hil twin serve`; uhubctl: per-port USB power.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openocd gpiod socat uhubctl \
 && rm -rf /var/lib/apt/lists/*

# A non-root user with the host's device groups. dialout (ttyUSB/ttyACM, GID 20) and plugdev
# (USB probes through the host's udev rules, GID 46) have the same GIDs in Debian and Raspberry Pi
# OS. gpio does not exist in Debian and its GID varies between Pi images: pass the host's
# (getent group gpio) as GPIO_GID, or add it at run time with --group-add (--non-unique: the
# host's GID may already name another group in the image; the kernel only checks the number).
# The user is the image's `node` user renamed, UID 1000 = the Pi's first user, so bind-mounted
# rigs/ and reports/ stay writable for both.
ARG GPIO_GID=997
RUN getent group gpio >/dev/null || groupadd --non-unique --gid "${GPIO_GID}" gpio \
 && groupmod --new-name hil node \
 && usermod --login hil --home /home/hil --move-home --append --groups dialout,plugdev,gpio node

WORKDIR /app
COPY --from=deps --chown=hil:hil /app/node_modules ./node_modules
COPY --chown=hil:hil . .
# After the context (.dockerignore keeps a local dist/ out of it): the one built above.
COPY --from=deps --chown=hil:hil /app/dist ./dist
RUN mkdir -p reports && chown hil:hil reports \
 && install -d -o hil -g hil -m 0750 /var/lib/hil
USER hil

# ---- the lab worker (README "Lab"): the same image serves a Pi's rigs from the lab's Redis:
#   docker run -d --name hil-worker --init --restart always --stop-timeout 60 \
#     --env-file /etc/hil/worker.env \                      # HIL_REDIS_PASSWORD=… (never on the command line)
#     -e HIL_LAB=/etc/hil/lab.yaml -v /etc/hil:/etc/hil:ro \
#     -v /srv/hil/rigs:/app/rigs:ro -v hil-state:/var/lib/hil \
#     [the device flags of README "Docker" for real rigs] \
#     hilrig worker --rigs 'rigs/lab/*.yaml' --id "$(hostname)" --reports /var/lib/hil/reports
# lab.yaml `state: /var/lib/hil` (locks, fence files, the rigs' event logs) on a named volume: it
# outlives the container, so a restarted worker finds its rigs' event logs and stale locks. A stable
# --id lets it take its own rigs back at once. `docker stop` sends SIGTERM: the worker stops taking
# jobs, interrupts the running one, puts each rig in its safe state and releases its leases
# (--stop-timeout gives it the time; a worker killed anyway leaves leases that expire by themselves).
# And where the reports are read: `docker run --rm -e HIL_LAB=… -v /etc/hil:/etc/hil:ro
#   -v "$PWD/reports:/app/reports" hilrig report --lab`.

# hil handles SIGINT and SIGTERM itself (safe state first, exit 4), so `docker stop` is a clean
# stop. Run with --init so the openocd/gpioset/socat children it spawns are reaped.
ENTRYPOINT ["node", "bin/hil.js"]
CMD ["run"]

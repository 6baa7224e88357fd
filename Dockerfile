# hilrig on a Raspberry Pi (arm64 first; also builds for amd64):
#   docker buildx build --platform linux/arm64,linux/amd64 -t hilrig .
# Twin campaigns need nothing else; real rigs need devices passed in (see README, "Docker").
FROM node:22-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends socat openocd gpiod python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/hilrig
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENTRYPOINT ["node", "bin/hil.js"]
CMD ["run"]

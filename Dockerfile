# Convene on Debian bookworm + Node 20. The image runs the same scripts/setup.mjs as a developer
# machine and CI, so the mediasoup worker is built the same way (against Debian's libraries).
#
#   docker build -t convene .
#   docker run --rm -p 8080:8080 -p 44444-44447:44444-44447/udp -p 44444-44447:44444-44447/tcp \
#     -p 45000-45100:45000-45100/udp -e CONVENE_SFU__RTC_MAX_PORT=45100 -e CONVENE_SFU__WORKERS=4 \
#     -e CONVENE_SFU__WEB_RTC_SERVER__ANNOUNCED_ADDRESS=<host IP> convene
#
# Ports: 8080/tcp HTTP (web app, API, WebSocket, /metrics, health); 44444+i udp+tcp WebRTC media of
# worker i; sfu.rtcMinPort..rtcMaxPort udp RTP for SIP media and inter-worker pipes.

FROM node:20-bookworm AS build
WORKDIR /opt/convene
COPY package.json package-lock.json ./
COPY scripts ./scripts
# Setup without the test-only packages would be smaller; it installs them too so the image can run
# the suite. CONVENE_CACHE_DIR keeps the worker build inside the image layer.
ENV CONVENE_CACHE_DIR=/opt/convene/.cache
RUN node scripts/setup.mjs
COPY . .
RUN node scripts/native-addon.mjs && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends redis-server libssl3 libuv1 libsrtp2-1 \
      libabsl20220623 libusrsctp2 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/convene
COPY --from=build /opt/convene /opt/convene
ENV MEDIASOUP_WORKER_BIN=/opt/convene/node_modules/.convene/mediasoup-worker \
    CONVENE_STORE__EMBEDDED__DATA_DIR=/var/lib/convene/redis
VOLUME /var/lib/convene
EXPOSE 8080/tcp 44444/udp 44444/tcp
STOPSIGNAL SIGTERM
CMD ["node", "dist/bin/convene.js"]

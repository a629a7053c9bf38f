# syntax=docker/dockerfile:1
# One image per app of the workspace, chosen by build argument (docker-compose.yml builds all four):
#   docker build --build-arg APP=registry-service -t m2m-trust/registry-service .
# All apps share every layer but the last, so building the four costs one `npm install` and one build.

FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles its native module when no prebuilt binary can be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The whole workspace: npm needs every workspace's package.json, the build needs the sources.
# (.dockerignore keeps node_modules, dist, tmp, data and the Python client out.)
COPY . .
# npm install, not npm ci (see .ci/run: the lockfile lists only one platform's optional binaries),
# with dev dependencies, which the build needs; then drop them for the runtime image.
RUN npm install --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# M2M_DATA_DIR: the one directory the app user may write (generated keys; the embedded gateway's SQLite).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    GRPC_PORT=50051 \
    M2M_DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# A named volume mounted here starts out owned by `node`, so a service may keep its files (audit signing key).
RUN mkdir -p /data && chown node:node /data
USER node
ARG APP=gateway
ENV APP=${APP}
EXPOSE 3000 50051
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# exec: node replaces the shell as PID 1, so it receives docker stop's SIGTERM itself.
CMD ["sh", "-c", "exec node \"dist/apps/${APP}/src/main.js\""]

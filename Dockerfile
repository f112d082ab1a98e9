# SMC Ultra — production image (Railway builds it from railway.toml; `docker build .` works the same).
# Stages: build (all deps, tsc -> dist/), deps (production deps only, onnxruntime pruned to this
# platform), runtime (node:20-slim + dist + sql + bin, unprivileged user, /data volume).
# scripts/prod-check.sh repeats these steps without Docker and is run in CI.

ARG NODE_IMAGE=node:20-slim

# ---- build: compile TypeScript -----------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# onnxruntime-node's postinstall would download CUDA/TensorRT extras; the CPU binaries ship in the package
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
# the sources (.dockerignore keeps out node_modules, data, secrets, tests); models/ may not exist
COPY . .
RUN npm run build && mkdir -p models

# ---- deps: production dependencies only ---------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
# Set by BuildKit (amd64 | arm64); when empty the prune script uses the build machine's arch
ARG TARGETARCH
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
COPY scripts/prune-onnxruntime.sh ./scripts/
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error \
 && npm cache clean --force \
 && bash scripts/prune-onnxruntime.sh node_modules $TARGETARCH

# ---- runtime ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json package-lock.json ./
COPY bin ./bin
COPY sql ./sql
# trained ONNX models committed under models/ (MODEL_PATH=models/<file>.onnx); may be empty
COPY --from=build /app/models ./models
COPY scripts/docker-entrypoint.sh /usr/local/bin/smc-entrypoint
# The code is root-owned and read-only to the bot; only /data is writable (by `node`, uid 1000).
RUN chmod 755 /usr/local/bin/smc-entrypoint && mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# Docker's own check (Railway only checks healthcheckPath during a deploy). /health answers 503 when
# market data is stale. No curl in slim images, so node does the request.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
# Railway and `docker stop` send SIGTERM; the bot stops entries, flushes the store and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["smc-entrypoint"]
# exec form: node is PID 1 and receives SIGTERM itself (no shell in between)
CMD ["node", "--v8-pool-size=0", "bin/smc.js", "run"]

# syntax=docker/dockerfile:1
# Two images from one file. The default (last) target, `product`, is what the api and worker services of
# docker-compose.yml run (each its own tsx entry point): the product's code only, never the provider simulators
# of sandbox/. The `sandbox` target adds them, for the compose `sandbox` service of the offline demo.
FROM node:20-bookworm-slim AS deps

WORKDIR /app

# Dependencies first, for the layer cache. --ignore-scripts skips the postinstall that builds the local
# Temporal dev server / test server / FerretDB (tools/build-all.sh): compose runs the real services instead.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

# The product's sources, shared by both targets (the sandboxes import wire formats and config from src/).
FROM deps AS app
COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers

# Offline provider simulators: `docker compose --profile sandbox` only.
FROM app AS sandbox
COPY sandbox ./sandbox
RUN chown -R node:node /app
USER node
EXPOSE 4010
CMD ["npx", "tsx", "sandbox/main.ts"]

# The production image (the default target): no sandbox/ in it.
FROM app AS product
# The workflow bundle, built once here: the worker loads it instead of running webpack at every start.
RUN npx tsx workers/build-workflow-bundle.ts /app/dist/workflow-bundle.js
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
# glibc keeps an arena per allocating thread (up to 8 per core), each holding on to freed memory: two are enough
# for the API and the worker (workers/process-options.ts; the worker's V8 flags are in docker-compose.yml).
ENV MALLOC_ARENA_MAX=2
# Run as the unprivileged user the node image provides; the tsx cache goes to its home.
RUN chown -R node:node /app
USER node
EXPOSE 3000
CMD ["npx", "tsx", "src/main.ts"]

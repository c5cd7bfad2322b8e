# syntax=docker/dockerfile:1
# One image for the api, worker and sandbox services of docker-compose.yml (each runs its own tsx entry point).
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first, for the layer cache. --ignore-scripts skips the postinstall that builds the local
# Temporal dev server / test server / FerretDB (tools/build-all.sh): compose runs the real services instead.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers

# Run as the unprivileged user the node image provides; the tsx cache goes to its home.
RUN chown -R node:node /app
USER node

EXPOSE 3000 4010
CMD ["npx", "tsx", "src/main.ts"]

# One-shot schema migration image for the compose stack (service `migrate`): the @m10/migrations
# package with its production dependencies at /repo/migrations, so the command is the same one
# the runbooks and `make migrate` use:  node migrations/bin/m10-migrate.js up
# Built like the service images (services/metrics-collector/Dockerfile), from the repository root:
#   docker build -f infra/docker/migrate.Dockerfile -t m10/migrate .
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
ENV PNPM_HOME=/pnpm \
    PATH=/pnpm:$PATH \
    CI=1 \
    TURBO_TELEMETRY_DISABLED=1 \
    DO_NOT_TRACK=1
WORKDIR /repo
COPY package.json ./
RUN npm install --global --no-fund --no-audit "pnpm@$(node -p "require('./package.json').packageManager.split('@')[1]")"
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN --mount=type=cache,id=m10-pnpm-store,target=/pnpm/store pnpm fetch
COPY . .
RUN --mount=type=cache,id=m10-pnpm-store,target=/pnpm/store pnpm install --frozen-lockfile --offline
RUN pnpm turbo run build --filter=@m10/migrations... --output-logs=errors-only
RUN --mount=type=cache,id=m10-pnpm-store,target=/pnpm/store \
    pnpm --filter=@m10/migrations deploy --prod --offline --config.inject-workspace-packages=true /out/migrations

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /repo
COPY --from=build /out/migrations ./migrations
USER node
CMD ["node", "migrations/bin/m10-migrate.js", "up"]

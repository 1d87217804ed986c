# One-shot schema migration image for the compose stack (service `migrate`): the @m10/migrations
# package with its production dependencies at /repo/migrations, so the command is the one the
# runbooks and `make migrate` use:  node migrations/bin/m10-migrate.js up
#
#   docker build -f infra/docker/migrate.Dockerfile -t m10/migrate .
#
# Every M10 image is built the same way (services/metrics-collector/test/infra-images.test.ts
# fails when one drifts), from the repository root (the pnpm workspace is the context; the root
# .dockerignore keeps node_modules, build output and .git out of it):
# stage `build` installs the workspace from the lockfile (pnpm fetch, then an offline install),
# builds this package and its workspace dependencies with turbo, and `pnpm deploy --prod` copies
# the package with only its production dependencies (workspace packages copied in) to /out;
# stage `runtime` is the same Node image with /out, run as the unprivileged `node` user.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
ENV PNPM_HOME=/pnpm \
    PATH=/pnpm:$PATH \
    CI=1 \
    TURBO_TELEMETRY_DISABLED=1 \
    DO_NOT_TRACK=1
WORKDIR /repo
# pnpm from npm (not corepack), at the version package.json pins in "packageManager".
COPY package.json ./
RUN npm install --global --no-fund --no-audit "pnpm@$(node -p "require('./package.json').packageManager.split('@')[1]")"
# Every dependency from the lockfile alone, so a source change reuses this layer.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN --mount=type=cache,id=m10-pnpm-store,target=/pnpm/store pnpm fetch
COPY . .
RUN --mount=type=cache,id=m10-pnpm-store,target=/pnpm/store pnpm install --frozen-lockfile --offline
RUN pnpm turbo run build --filter=@m10/migrations... --output-logs=errors-only
RUN --mount=type=cache,id=m10-pnpm-store,target=/pnpm/store \
    pnpm --filter=@m10/migrations deploy --prod --offline --config.inject-workspace-packages=true /out/migrations

FROM ${NODE_IMAGE} AS runtime
# The source revision, for m10_build_info and --version (compose passes it; unknown otherwise).
ARG M10_REVISION=unknown
ENV NODE_ENV=production \
    M10_REVISION=$M10_REVISION
WORKDIR /repo
COPY --from=build /out/migrations ./migrations
USER node
CMD ["node", "migrations/bin/m10-migrate.js", "up"]

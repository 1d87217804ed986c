# M10: `make up` runs the whole stack, `make test` runs every test. Both install what they need.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
RUN := scripts/with-tools
# Turbo's telemetry and update checks reach for the network; keep them quiet.
export TURBO_TELEMETRY_DISABLED := 1
export DO_NOT_TRACK := 1

.PHONY: help tools build test test-cluster lint typecheck up migrate bench chaos clean compose-check install

help:
	@echo "make up       install what is missing, build, start PostgreSQL/Redis/NATS and the five services (Ctrl-C stops all)"
	@echo "make test     install what is missing, build, lint, typecheck and run every test on throwaway servers"
	@echo "make test-cluster  M10 on a Redis Cluster, Redis Sentinel (failover under load), a NATS cluster, 3 processes of each service (about 7.5 min)"
	@echo "make build    compile every package"
	@echo "make migrate  migrate DATABASE_URL (or the make-up stack's database)"
	@echo "make bench    run the benchmarks; JSON results in bench/results/"
	@echo "make chaos    the fault suite under load (sized for 15 min); results in chaos/results/, non-zero exit on a violation"
	@echo "make compose-check  build every image, run the compose stack end to end, tear it down (needs Docker or podman)"
	@echo "make install PREFIX=/opt/m10  install the services (production dependencies only), the m10 user, /etc/m10/m10.env and the systemd units"
	@echo "make clean    remove build outputs, node_modules and .tools/ (keeps .m10/ data)"

tools:
	@scripts/ensure-tools.sh

build: tools
	$(RUN) pnpm turbo run build --output-logs=errors-only

lint: build
	$(RUN) pnpm turbo run lint --output-logs=errors-only

typecheck: build
	$(RUN) pnpm turbo run typecheck --output-logs=errors-only

test: build
	$(RUN) pnpm turbo run lint typecheck --output-logs=errors-only
	$(RUN) pnpm turbo run test --concurrency=2 --output-logs=full

# Real clusters (packages/cluster-tests): minutes, so apart from make test; .ci/run runs both.
test-cluster: build
	$(RUN) pnpm turbo run test:cluster --output-logs=full

up: build
	$(RUN) node packages/devstack/bin/m10-devstack.js up --dir .m10

migrate: build
	@if [ -z "$${DATABASE_URL:-}" ] && [ -f .m10/stack.env ]; then source .m10/stack.env; fi; \
	if [ -z "$${DATABASE_URL:-}" ]; then echo "make migrate: set DATABASE_URL (or run make up first)"; exit 2; fi; \
	DATABASE_URL="$$DATABASE_URL" $(RUN) pnpm exec m10-migrate up

bench: build
	$(RUN) pnpm --filter @m10/bench bench

chaos: build
	$(RUN) pnpm --filter @m10/chaos chaos

# Not part of `make test`: it needs a container engine (README "Compose").
compose-check:
	scripts/compose-check.sh

clean:
	rm -rf node_modules packages/*/node_modules packages/*/dist services/*/node_modules services/*/dist \
	  migrations/node_modules migrations/dist bench/node_modules chaos/node_modules .turbo packages/*/.turbo services/*/.turbo migrations/.turbo .tools

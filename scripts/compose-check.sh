#!/usr/bin/env bash
# make compose-check: the compose stack (infra/docker-compose.yml) built and run end to end, then
# torn down. Needs a Docker-compatible engine (Docker, or podman's socket in DOCKER_HOST) and
# `docker compose` (v2) or `docker-compose` (1.29); COMPOSE picks one (a command or a path, e.g.
# COMPOSE=docker-compose, or COMPOSE=/path/to/docker-compose for a Compose v2 binary: README).
#
#   1. builds every image (the five services, migrate, m10ctl) and lists them with their sizes;
#   2. `up -d --scale claim-worker=3` under its own project name, with fresh tokens and every port
#      published on an ephemeral loopback port (no clash with servers already on the host);
#   3. waits until every container with a healthcheck is healthy and `migrate` exited 0;
#   4. proves the services use the stack's PostgreSQL, Redis and NATS: their URLs name the stack's
#      services, and each server lists the services' connections;
#   5. sends the runbook's ingest curl (with the machine token), waits for the candidate to be
#      evaluated, its outbox event delivered and the message in the NATS stream M10_EVENTS;
#   6. Prometheus behind its lifecycle gate: /-/reload and /-/quit without the token are refused
#      from the host and from another container on the stack's network (Prometheus itself is not
#      reachable there), a reload with the token works, every service's target is scraped, and the
#      orchestrator's task series (decision 16, from the metrics collector) are in Prometheus;
#   7. runs `m10ctl dlq list` and `m10ctl --version` from the m10ctl container;
#   8. `down` (volumes kept), `up` again, and finds the candidate and the message still there;
#   9. `down -v` (always, also after a failure; KEEP=1 leaves the stack up for a look).
# SKIP_BUILD=1 reuses the images already built (m10/*:local) instead of step 1's build.
# Prints what it did; exits non-zero at the first failure.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
compose_file="$repo/infra/docker-compose.yml"
project=${COMPOSE_CHECK_PROJECT:-m10check}
timeout_s=${COMPOSE_CHECK_TIMEOUT:-300}
work=$(mktemp -d /tmp/m10-compose-check.XXXXXX)
t_start=$(date +%s)

say() { printf '[compose-check %4ss] %s\n' "$(($(date +%s) - t_start))" "$*"; }
fail() { say "FAILED: $*" >&2; exit 1; }

if [ -z "${COMPOSE:-}" ]; then
  if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"; else COMPOSE="docker-compose"; fi
fi
command -v "${COMPOSE%% *}" >/dev/null || fail "no compose command ($COMPOSE); see /work/shared/tools/containers/README.md or install Compose v2"
# The file must suit Compose v2 (what users run) and docker-compose 1.29 (what runs here): `config`
# with every compose found (COMPOSE_V2=path adds a v2 binary, see scripts/compose-v2.sh).
validators=("$COMPOSE")
for other in "docker compose" docker-compose ${COMPOSE_V2:-}; do
  [ "$other" = "$COMPOSE" ] && continue
  $other version >/dev/null 2>&1 && validators+=("$other")
done
for validator in "${validators[@]}"; do
  $validator -f "$compose_file" --profile tools --profile grafana config -q || fail "$validator refuses $compose_file"
  say "config: $validator ($($validator version --short 2>/dev/null || $validator version | head -1)) accepts $compose_file"
done
docker info >/dev/null 2>&1 || fail "no container engine reachable (docker info failed; with podman: export DOCKER_HOST=unix:///run/podman/podman.sock)"

# A fresh env file: new tokens, ephemeral loopback ports, the revision baked into the images.
token() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
machine_token=$(token)
reload_token=$(token)
cat >"$work/env" <<EOF
COMPOSE_PROJECT_NAME=$project
POSTGRES_PASSWORD=$(token)
M10_ADMIN_TOKEN=$(token)
M10_MACHINE_TOKEN=$machine_token
PROM_RELOAD_TOKEN=$reload_token
M10_REVISION=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
M10_METRICS_INTERVAL=5
M10_INGEST_PUBLISH=127.0.0.1:
M10_POSTGRES_PUBLISH=127.0.0.1:
M10_REDIS_PUBLISH=127.0.0.1:
M10_NATS_PUBLISH=127.0.0.1:
M10_NATS_MONITOR_PUBLISH=127.0.0.1:
M10_PROMETHEUS_PUBLISH=127.0.0.1:
M10_ALERTMANAGER_PUBLISH=127.0.0.1:
M10_CONSOLE_PUBLISH=127.0.0.1:
EOF
dc() { $COMPOSE --project-name "$project" --env-file "$work/env" -f "$compose_file" "$@"; }

project_containers() { docker ps -aq --filter "label=com.docker.compose.project=$project" 2>/dev/null; }

# docker-compose 1.29 on podman removes containers in parallel, and podman refuses to remove
# Prometheus while its gate (which shares its network namespace) still exists: `down` again
# removes what is left.
down_stack() {
  local attempt
  for attempt in 1 2 3; do
    dc "$@" >>"$work/down.log" 2>&1 && [ -z "$(project_containers)" ] && return 0
    say "down (attempt $attempt) left: $(project_containers | tr '\n' ' ')"
  done
  [ -z "$(project_containers)" ]
}

cleanup() {
  local status=$?
  if [ "${KEEP:-0}" = 1 ]; then
    say "KEEP=1: the stack stays up; remove it with: $COMPOSE --project-name $project --env-file $work/env -f $compose_file down -v"
  else
    if [ $status -ne 0 ]; then
      say "logs of the stack (last 30 lines per service):"
      dc logs --no-color --tail 30 2>&1 | sed 's/^/    /' || true
    fi
    if down_stack --profile tools down -v --remove-orphans; then
      say "teardown: down -v, no container of $project left"
    else
      say "teardown: containers of $project left: $(project_containers)"
    fi
    rm -rf "$work"
  fi
  exit $status
}
trap cleanup EXIT

# Polls a command (its stdout non-empty and exit 0) until timeout; prints its last output.
wait_for() {
  local what=$1; shift
  local deadline=$(($(date +%s) + timeout_s)) out
  while :; do
    if out=$("$@" 2>/dev/null) && [ -n "$out" ]; then printf '%s' "$out"; return 0; fi
    [ "$(date +%s)" -lt "$deadline" ] || fail "timed out after ${timeout_s}s waiting for $what"
    sleep 2
  done
}

psql_stack() { dc exec -T postgres psql -U nova -d nova_aos -p 5433 -tAX -v ON_ERROR_STOP=1 -c "$1"; }
redis_stack() { dc exec -T redis redis-cli "$@"; }
published() { dc port "$1" "$2" | tail -1; }

# Every container of the project with its health ("none" without a healthcheck) and state.
container_states() {
  local ids
  ids=$(dc ps -q)
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  docker inspect --format '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.Status}} {{.State.ExitCode}}' $ids
}

# Healthy when every container with a healthcheck is healthy, migrate exited 0 and nothing else exited.
all_healthy() {
  local states
  states=$(container_states)
  if grep -E '_migrate_|-migrate-' <<<"$states" | grep -qv ' exited 0$'; then
    grep -qE '(_migrate_|-migrate-).* exited [1-9]' <<<"$states" && fail "migrate failed: $(dc logs --no-color --tail 20 migrate)"
    return 1
  fi
  grep -vE '_migrate_|-migrate-' <<<"$states" | grep -qE ' (starting|unhealthy) | exited ' && return 1
  grep -c ' healthy ' <<<"$states"
}

wait_healthy() {
  local since=$1 count
  count=$(wait_for "every container healthy" all_healthy)
  say "healthy: $count containers with a healthcheck healthy $(($(date +%s) - since))s after up (migrate exited 0)"
  container_states | sed 's/^\//    /'
}

# --- 1. images ----------------------------------------------------------------------------------
say "compose: $COMPOSE ($($COMPOSE version --short 2>/dev/null || $COMPOSE version | head -1)); project $project"
t_build=$(date +%s)
if [ "${SKIP_BUILD:-0}" = 1 ]; then
  say "SKIP_BUILD=1: using the images already built:"
else
  dc --profile tools build >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "image build"; }
  say "built every image in $(($(date +%s) - t_build))s:"
fi
for image in migrate ingest claim-worker outbox-processor orchestrator metrics-collector console m10ctl; do
  size=$(docker image inspect --format '{{.Size}}' "m10/$image:local") || fail "image m10/$image:local missing"
  printf '    m10/%-20s %4d MB\n' "$image:local" $((size / 1000000))
done

# --- 2-3. up, healthy ---------------------------------------------------------------------------
t_up=$(date +%s)
dc up -d --scale claim-worker=3 >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "up -d"; }
wait_healthy "$t_up"
workers=$(container_states | grep -cE 'claim-worker.* healthy ')
[ "$workers" -eq 3 ] || fail "--scale claim-worker=3: $workers healthy claim workers"

# --- 4. the stack's own servers -----------------------------------------------------------------
for service in ingest claim-worker outbox-processor orchestrator metrics-collector; do
  env=$(dc exec -T "$service" node -e 'const e = process.env; console.log(e.DATABASE_URL.replace(/\/\/[^@]*@/, "//") + " " + e.REDIS_URL + " " + e.NATS_URL)')
  grep -q '^postgres://postgres:5433/nova_aos redis://redis:6379/0 nats://nats:4222' <<<"$env" || fail "$service connects elsewhere: $env"
done
pg_clients=$(psql_stack "SELECT count(DISTINCT client_addr) FROM pg_stat_activity WHERE datname = 'nova_aos' AND client_addr IS NOT NULL")
redis_clients=$(redis_stack CLIENT LIST | grep -v 'cmd=client' | grep -oE 'addr=[0-9.]+' | sort -u | wc -l)
nats_port=$(published nats 8222)
nats_conns=$(curl -sf "http://$nats_port/connz" | grep -oE '"num_connections": *[0-9]+' | grep -oE '[0-9]+$')
[ "$pg_clients" -ge 5 ] && [ "$redis_clients" -ge 5 ] && [ "${nats_conns:-0}" -ge 1 ] ||
  fail "the stack's servers do not see the services: PostgreSQL clients from $pg_clients containers, Redis from $redis_clients, NATS ${nats_conns:-0} connections"
say "own servers: every service's URLs name postgres:5433, redis:6379, nats:4222; the stack's PostgreSQL has clients from $pg_clients containers, its Redis from $redis_clients, its NATS $nats_conns connection(s)"

# --- 5. the runbook's ingest curl, evaluation, delivery -----------------------------------------
ingest=$(published ingest 8000)
failure_id=$(cat /proc/sys/kernel/random/uuid)
# Recovery Operations Runbook, "Test Ingest Endpoint" (RBAC is on: with the machine token).
response=$(curl -sS -X POST "http://$ingest/api/v1/recovery/ingest" \
  -H "Content-Type: application/json" -H "Authorization: Bearer $machine_token" \
  -d '{
    "failure_match_id": "'"$failure_id"'",
    "failure_payload": {
      "error_type": "TIMEOUT",
      "raw": "Connection timed out after 30s"
    },
    "source": "test"
  }' -w '\n%{http_code}')
status=$(tail -1 <<<"$response")
[[ "$status" == 20? ]] || fail "ingest answered $status: $(head -1 <<<"$response")"
say "ingest: HTTP $status $(head -1 <<<"$response")"
candidate=$(psql_stack "SELECT id FROM recovery_candidates WHERE failure_match_id = '$failure_id'")
[ -n "$candidate" ] || fail "candidate of failure $failure_id not in the stack's database"
evaluated=$(wait_for "candidate $candidate evaluated" psql_stack \
  "SELECT 'confidence ' || confidence || ', evaluated_at ' || evaluated_at FROM recovery_candidates WHERE id = $candidate AND evaluated_at IS NOT NULL")
say "evaluated: candidate $candidate, $evaluated"
delivered=$(wait_for "an outbox event of candidate $candidate delivered" psql_stack \
  "SELECT id || ' ' || event_type || ' processed_by ' || processed_by FROM m10_recovery.outbox WHERE aggregate_id = '$candidate' AND processed_at IS NOT NULL ORDER BY id LIMIT 1")
say "outbox: event $delivered"

# The message in the stack's NATS, read with the outbox processor's own client (a dependency of
# @m10/delivery in the image, so resolved from there).
nats_message() {
  dc exec -T --workdir /app/node_modules/@m10/delivery outbox-processor node --input-type=module -e '
    import { connect } from "@nats-io/transport-node";
    import { jetstreamManager } from "@nats-io/jetstream";
    const nc = await connect({ servers: process.env.NATS_URL });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info("M10_EVENTS");
    for (let seq = info.state.last_seq; seq >= Math.max(1, info.state.first_seq); seq--) {
      const message = await jsm.streams.getMessage("M10_EVENTS", { seq }).catch(() => null);
      const body = message?.json();
      if (body?.aggregate_id === process.argv[1]) {
        console.log(`M10_EVENTS seq ${seq} subject ${message.subject} ${JSON.stringify(body).slice(0, 300)}`);
        break;
      }
    }
    await nc.close();' "$candidate"
}
message=$(wait_for "candidate $candidate's event in the NATS stream M10_EVENTS" nats_message)
say "delivered: $message"

# --- 6. Prometheus behind its lifecycle gate; scraping; the orchestrator's series -----------------
prometheus=$(published prometheus 9090)
gate_status() { curl -s -o /dev/null -w '%{http_code}' -X POST "http://$prometheus$1" "${@:2}"; }
[ "$(gate_status /-/reload)" = 401 ] && [ "$(gate_status /-/quit)" = 401 ] || fail "the gate let an unauthenticated lifecycle call through from the host"
[ "$(gate_status /-/reload -H "Authorization: Bearer $reload_token")" = 200 ] || fail "a reload with PROM_RELOAD_TOKEN was refused"
# From another container on the stack's network (alert-log runs Node): prometheus:9090 is the gate,
# and Prometheus's own port is not reachable outside its network namespace.
inside=$(dc exec -T alert-log node -e '
  const call = (url) => fetch(url, { method: "POST", signal: AbortSignal.timeout(5000) }).then((r) => String(r.status), (e) => "unreachable(" + (e.cause?.code ?? e.name) + ")");
  Promise.all(["http://prometheus:9090/-/reload", "http://prometheus:9090/-/quit", "http://prometheus:9091/-/reload"].map(call)).then((s) => console.log(s.join(" ")));')
grep -qE '^401 401 unreachable' <<<"$inside" || fail "from another container: /-/reload, /-/quit via prometheus:9090 and prometheus:9091/-/reload answered: $inside"
say "prometheus: unauthenticated /-/reload and /-/quit refused from the host (401) and from another container (prometheus:9090: ${inside% *}; prometheus:9091: ${inside##* }); reload with the token: 200"

# The first element of a query's result vector (its value), empty when the result is empty.
prom_value() {
  curl -sf "http://$prometheus/api/v1/query" --data-urlencode "query=$1" | grep -oE '"value":\[[^]]*\]' | head -1 | grep -oE '"[^"]*"\]$' | tr -d '"]'
}
scraped=$(wait_for "every service's targets up in Prometheus" prom_value 'count(up{job=~"m10-(metrics-collector|claim-worker|outbox-processor|orchestrator|console)|prometheus"} == 1) >= 8')
tasks=$(wait_for "the orchestrator's task series in Prometheus (from the metrics collector)" prom_value 'count(m10_orchestrator_task_runs_recorded{result="success"} > 0)')
figures=$(prom_value 'count(m10_orchestrator_task_figure_recorded)')
say "prometheus: $scraped targets up (collector, 3 claim workers, outbox processor, orchestrator, console, itself); m10_orchestrator_task_runs_recorded: $tasks tasks with a success; m10_orchestrator_task_figure_recorded: ${figures:-0} series"

# --- 7. m10ctl from a container -----------------------------------------------------------------
dc --profile tools run --rm --no-deps m10ctl --version >"$work/m10ctl.log" 2>&1 || { cat "$work/m10ctl.log"; fail "m10ctl --version"; }
say "m10ctl --version: $(tail -1 "$work/m10ctl.log")"
dc --profile tools run --rm --no-deps m10ctl dlq list >"$work/m10ctl.log" 2>&1 || { cat "$work/m10ctl.log"; fail "m10ctl dlq list"; }
say "m10ctl dlq list (exit 0):"
tail -5 "$work/m10ctl.log" | sed 's/^/    /'

# --- 8. down, up, data kept ---------------------------------------------------------------------
down_stack down || { cat "$work/down.log"; fail "down"; }
say "down (volumes kept); up again"
t_up=$(date +%s)
dc up -d >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "up -d (again)"; }
wait_healthy "$t_up"
[ "$(psql_stack "SELECT count(*) FROM recovery_candidates WHERE id = $candidate AND evaluated_at IS NOT NULL")" = 1 ] ||
  fail "candidate $candidate lost by down + up"
message_again=$(wait_for "the NATS message after down + up" nats_message)
say "data kept: candidate $candidate still evaluated; NATS still has ${message_again%% subject*}"

say "PASSED in $(($(date +%s) - t_start))s"

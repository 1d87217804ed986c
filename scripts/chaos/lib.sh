# Sourced by every script here, after its CHAOS_ALLOWED guard: finds the stack and runs the
# experiment in m10-chaos (packages/devstack/src/chaos/), which prints what it did, what it
# observed and PASS/FAIL with the recovery time. Exit 0 PASS, 1 FAIL, 2 usage or configuration.
#
#   make up stack (default):  M10_STACK_DIR (default .m10) holds stack.env and control.sock
#   compose:                  CHAOS_TARGET=compose, the stack's URLs and tokens in the environment
#                             (DATABASE_URL, INGEST_URL, ..., M10_MACHINE_TOKEN, M10_ADMIN_TOKEN)
# Durations: CHAOS_OUTAGE_SECONDS, CHAOS_HOLD_SECONDS, CHAOS_PIN_WRITES, CHAOS_SINK_FAIL_SECONDS,
# CHAOS_PAUSE_SECONDS, CHAOS_RECOVERY_TARGET_SECONDS (m10-chaos --help lists them with defaults).
set -euo pipefail
chaos_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

chaos_run() {
  local experiment="$1"
  if [ "${CHAOS_TARGET:-devstack}" != "compose" ]; then
    local dir="${M10_STACK_DIR:-$chaos_root/.m10}"
    if [ ! -f "$dir/stack.env" ]; then
      echo "chaos: no $dir/stack.env: start the stack with 'make up' (or set M10_STACK_DIR to its --dir)" >&2
      exit 2
    fi
    # shellcheck disable=SC1091
    source "$dir/stack.env"
    export M10_STACK_DIR="$dir" M10_CONTROL_SOCKET="${M10_CONTROL_SOCKET:-$dir/control.sock}"
  fi
  exec "$chaos_root/scripts/with-tools" node "$chaos_root/packages/devstack/bin/m10-chaos.js" "$experiment"
}

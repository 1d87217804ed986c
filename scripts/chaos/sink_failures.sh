#!/usr/bin/env bash
# Fault suite 5: a webhook sink answers 500 for CHAOS_SINK_FAIL_SECONDS (120), then 429 with
# Retry-After as long; every event is delivered and applied once, none dead-lettered.
# Fault suite 2 (Redis stopped 60 s) is redis_disconnect.sh, 6 (connection exhaustion)
# db_connection_exhaustion.sh. Environment and targets: lib.sh.

# Chaos scripts MUST check this
if [ "$CHAOS_ALLOWED" != "true" ]; then
    echo "ERROR: CHAOS_ALLOWED not set. Aborting."
    exit 1
fi

source "$(dirname "$0")/lib.sh"
chaos_run sink_failures

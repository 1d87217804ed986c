#!/usr/bin/env bash
# Seed 003 "Redis Disconnect" (and the fault suite's "Redis stopped 60 s"): stop Redis under
# steady ingest for CHAOS_OUTAGE_SECONDS (60); ingest must fail open through the DB fallback queue.
# Fault suite 2 (Redis stopped 60 s) is redis_disconnect.sh, 6 (connection exhaustion)
# db_connection_exhaustion.sh. Environment and targets: lib.sh.

# Chaos scripts MUST check this
if [ "$CHAOS_ALLOWED" != "true" ]; then
    echo "ERROR: CHAOS_ALLOWED not set. Aborting."
    exit 1
fi

source "$(dirname "$0")/lib.sh"
chaos_run redis_disconnect

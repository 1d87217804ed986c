#!/usr/bin/env bash
# Seed 003 "DB Connection Exhaustion": another client holds all but 2 of PostgreSQL's
# connections for CHAOS_HOLD_SECONDS (30); pools stay within limits, answers are 2xx or 503 + Retry-After.
# Fault suite 2 (Redis stopped 60 s) is redis_disconnect.sh, 6 (connection exhaustion)
# db_connection_exhaustion.sh. Environment and targets: lib.sh.

# Chaos scripts MUST check this
if [ "$CHAOS_ALLOWED" != "true" ]; then
    echo "ERROR: CHAOS_ALLOWED not set. Aborting."
    exit 1
fi

source "$(dirname "$0")/lib.sh"
chaos_run db_connection_exhaustion

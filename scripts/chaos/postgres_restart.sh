#!/usr/bin/env bash
# Fault suite 3: PostgreSQL stopped for 10 s and started again; ingest answers 503 +
# Retry-After only meanwhile, and no service process needs a restart.
# Fault suite 2 (Redis stopped 60 s) is redis_disconnect.sh, 6 (connection exhaustion)
# db_connection_exhaustion.sh. Environment and targets: lib.sh.

# Chaos scripts MUST check this
if [ "$CHAOS_ALLOWED" != "true" ]; then
    echo "ERROR: CHAOS_ALLOWED not set. Aborting."
    exit 1
fi

source "$(dirname "$0")/lib.sh"
chaos_run postgres_restart

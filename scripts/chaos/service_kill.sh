#!/usr/bin/env bash
# Fault suite 1: kill -9 each of the five services in turn; each must come back by itself
# (make up and compose restart it) with nothing accepted lost or evaluated twice.
# Fault suite 2 (Redis stopped 60 s) is redis_disconnect.sh, 6 (connection exhaustion)
# db_connection_exhaustion.sh. Environment and targets: lib.sh.

# Chaos scripts MUST check this
if [ "$CHAOS_ALLOWED" != "true" ]; then
    echo "ERROR: CHAOS_ALLOWED not set. Aborting."
    exit 1
fi

source "$(dirname "$0")/lib.sh"
chaos_run service_kill

#!/usr/bin/env bash
# Fault suite 7: the claim worker paused (SIGSTOP) past its claim idle time while a second
# worker runs, then resumed (SIGCONT); everything is evaluated exactly once.
# Fault suite 2 (Redis stopped 60 s) is redis_disconnect.sh, 6 (connection exhaustion)
# db_connection_exhaustion.sh. Environment and targets: lib.sh.

# Chaos scripts MUST check this
if [ "$CHAOS_ALLOWED" != "true" ]; then
    echo "ERROR: CHAOS_ALLOWED not set. Aborting."
    exit 1
fi

source "$(dirname "$0")/lib.sh"
chaos_run worker_pause

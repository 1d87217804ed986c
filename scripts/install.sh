#!/usr/bin/env bash
# make install PREFIX=/opt/m10: installs M10's services for systemd (infra/systemd/README.md).
# Run after `make build`, as root for a real install. It installs only M10 itself: no PostgreSQL,
# Redis, NATS or Prometheus server (point /etc/m10/m10.env at yours).
#
#   PREFIX=/opt/m10            each service as `pnpm deploy --prod` made it (bin, dist, production
#                              node_modules with the workspace packages copied in):
#                              PREFIX/services/<service>, PREFIX/migrations, PREFIX/packages/cli,
#                              PREFIX/bin/{m10ctl,m10-migrate}, PREFIX/REVISION
#   NODE=auto                  auto: the system's node when it is Node 24, else the one ensure-tools
#                              fetched (copied to PREFIX/.tools, x64 or arm64); system | bundled
#   SYSCONFDIR=/etc/m10        m10.env from infra/systemd/m10.env.example when there is none yet
#                              (never overwritten), mode 0640 root:m10
#   UNITDIR=/etc/systemd/system  the units, with PREFIX and SYSCONFDIR written into them
#   M10_USER=m10               the system user the units run as (created when missing; root only)
#
# An upgrade is the same command: the code is replaced, m10.env kept; then migrate and restart
# (infra/systemd/README.md "Upgrade").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PREFIX=${PREFIX:-/opt/m10}
SYSCONFDIR=${SYSCONFDIR:-/etc/m10}
UNITDIR=${UNITDIR:-/etc/systemd/system}
M10_USER=${M10_USER:-m10}
NODE=${NODE:-auto}
export PATH="$ROOT/.tools/bin:$PATH"

say() { printf '[install] %s\n' "$*"; }
fail() { printf '[install] error: %s\n' "$*" >&2; exit 1; }

case "$PREFIX" in /*) ;; *) fail "PREFIX must be an absolute path (the units name it), not $PREFIX" ;; esac
want_node=$(tr -d '[:space:]' < .node-version)
for bin in services/*/bin/*.js migrations/bin/m10-migrate.js packages/cli/bin/m10ctl.js; do
  [ -f "$(dirname "$bin")/../dist/$(sed -nE 's#.*"\.\./dist/([^"]+)".*#\1#p' "$bin")" ] || fail "$bin is not built: run make build first"
done

mkdir -p "$(dirname "$PREFIX")"
staging=$(mktemp -d "${PREFIX%/}.install.XXXXXX")
trap 'rm -rf "$staging"' EXIT

# --- the packages, production dependencies only ----------------------------------------------------
deploy() { # <package name> <directory under PREFIX>
  pnpm --filter="$1" deploy --prod --prefer-offline --config.inject-workspace-packages=true "$staging/$2" >"$staging.log" 2>&1 ||
    { cat "$staging.log"; rm -f "$staging.log"; fail "pnpm deploy $1"; }
  rm -f "$staging.log"
  say "$1 -> $PREFIX/$2 ($(du -sm "$staging/$2" | cut -f1) MB)"
}
for dir in services/*/; do
  service=$(basename "$dir")
  deploy "$(node -p "require('./$dir/package.json').name")" "services/$service"
  # The service's units travel with it (the README's paths); they are installed below.
  [ -d "$dir/systemd" ] && cp -r "$dir/systemd" "$staging/services/$service/"
done
deploy @m10/migrations migrations
deploy @m10/cli packages/cli
mkdir -p "$staging/bin"
ln -s ../packages/cli/bin/m10ctl.js "$staging/bin/m10ctl"
ln -s ../migrations/bin/m10-migrate.js "$staging/bin/m10-migrate"
git -C "$ROOT" rev-parse --short HEAD 2>/dev/null > "$staging/REVISION" || echo unknown > "$staging/REVISION"

# --- Node 24 -----------------------------------------------------------------------------------------
system_node_major=$(PATH=${PATH#"$ROOT/.tools/bin:"} node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || true)
if [ "$NODE" = auto ]; then NODE=$([ "$system_node_major" = "$want_node" ] && echo system || echo bundled); fi
case "$NODE" in
  system) [ "$system_node_major" = "$want_node" ] || fail "NODE=system, but the system's node is ${system_node_major:-missing}, not $want_node" ;;
  bundled)
    node_dir=$(dirname "$(dirname "$(readlink -f "$ROOT/.tools/bin/node")")")
    [ -x "$node_dir/bin/node" ] || fail "no Node $want_node under .tools (run make build)"
    mkdir -p "$staging/.tools/bin"
    cp -r "$node_dir" "$staging/.tools/node"
    ln -s ../node/bin/node "$staging/.tools/bin/node" ;;
  *) fail "NODE must be auto, system or bundled, not $NODE" ;;
esac
say "node: $NODE ($( [ "$NODE" = system ] && command -v node || echo "$PREFIX/.tools/bin/node"))"

# --- swap the tree in ------------------------------------------------------------------------------
if [ -e "$PREFIX" ]; then rm -rf "$PREFIX.previous" && mv "$PREFIX" "$PREFIX.previous"; fi
mv "$staging" "$PREFIX"
chmod -R u=rwX,go=rX "$PREFIX"
say "installed $(cat "$PREFIX/REVISION") to $PREFIX$( [ -e "$PREFIX.previous" ] && echo " (the previous tree is $PREFIX.previous)")"

# --- user, settings, units -------------------------------------------------------------------------
if [ "$(id -u)" = 0 ] && ! id "$M10_USER" >/dev/null 2>&1; then
  useradd --system --home-dir "$PREFIX" --no-create-home --shell /usr/sbin/nologin "$M10_USER"
  say "created the system user $M10_USER"
fi
install -d -m 0750 "$SYSCONFDIR"
if [ ! -e "$SYSCONFDIR/m10.env" ]; then
  install -m 0640 infra/systemd/m10.env.example "$SYSCONFDIR/m10.env"
  say "wrote $SYSCONFDIR/m10.env from the example: set DATABASE_URL, REDIS_URL, NATS_URL and the tokens"
else
  say "kept $SYSCONFDIR/m10.env"
fi
if [ "$(id -u)" = 0 ] && id "$M10_USER" >/dev/null 2>&1; then chgrp "$M10_USER" "$SYSCONFDIR" "$SYSCONFDIR/m10.env"; fi

install -d "$UNITDIR"
revision=$(cat "$PREFIX/REVISION")
for unit in "$PREFIX"/services/*/systemd/*.service "$PREFIX"/services/*/systemd/*.timer; do
  sed -e "s#/opt/m10#$PREFIX#g" -e "s#/etc/m10/#$SYSCONFDIR/#g" -e "s#^User=m10\$#User=$M10_USER#" -e "s#^Group=m10\$#Group=$M10_USER#" \
    -e "s#^Environment=NODE_ENV=production\$#&\nEnvironment=M10_REVISION=$revision#" "$unit" > "$UNITDIR/$(basename "$unit")"
  chmod 0644 "$UNITDIR/$(basename "$unit")"
done
say "units in $UNITDIR: $(cd "$PREFIX" && ls services/*/systemd/ | grep -E '\.(service|timer)$' | tr '\n' ' ')"
if [ -d /run/systemd/system ] && [ "$UNITDIR" = /etc/systemd/system ]; then systemctl daemon-reload; fi
say "next: edit $SYSCONFDIR/m10.env, migrate ($PREFIX/bin/m10-migrate up), then enable the units (infra/systemd/README.md)"

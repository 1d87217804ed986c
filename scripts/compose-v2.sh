#!/usr/bin/env bash
# Compose v2 on a Debian 12 machine whose own `docker-compose` is 1.29 (this one): Debian 13's
# docker-compose package is Compose v2 (2.26), a Go binary that needs only libc >= 2.34, so its .deb
# is fetched with apt from a private package list (the system's apt sources are not touched) and the
# binary unpacked into .m10/compose-v2/. Prints its path; use it as
#   COMPOSE=$(scripts/compose-v2.sh) make compose-check
# Needs apt-get (root not required for the download; the list is private).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir="$repo/.m10/compose-v2"
bin="$dir/docker-compose"
if [ ! -x "$bin" ]; then
  mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial"
  mirror=$(sed -nE 's/^URIs: *(http[^ ]*debian)\/?$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
  echo "deb ${mirror:-http://deb.debian.org/debian} trixie main" >"$dir/apt/sources.list"
  apt=(-o "Dir::Etc::SourceList=$dir/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
       -o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache" -o Debug::NoLocking=1)
  apt-get "${apt[@]}" -qq update >&2
  (cd "$dir" && apt-get "${apt[@]}" -qq download docker-compose >&2)
  dpkg-deb --fsys-tarfile "$dir"/docker-compose_*.deb | tar -xO ./usr/libexec/docker/cli-plugins/docker-compose >"$bin.tmp"
  chmod 0755 "$bin.tmp" && mv "$bin.tmp" "$bin"
  rm -rf "$dir/apt" "$dir"/docker-compose_*.deb
fi
"$bin" version >/dev/null || { echo "compose-v2.sh: $bin does not run here" >&2; exit 1; }
echo "$bin"

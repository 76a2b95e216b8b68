#!/usr/bin/env bash
# The supply-chain check: `cargo deny check` (advisories, licenses, bans, sources) against
# deny.toml. Advisories come from the live RustSec database wherever GitHub answers; on a
# machine that cannot reach it, from the offline snapshot in ../shared/advisory-db (or
# $ADVISORY_DB), served to cargo-deny as a local git repository in place of the live one.
# Fails if neither is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# 0.20.2 needs rustc >= 1.88 and installs with --locked on 1.95.
CARGO_DENY_VERSION=0.20.2
# Spelt as cargo-deny spells its default, which the offline rewrite below must match.
LIVE_DB=https://github.com/RustSec/advisory-db

say() { printf '\033[1;34m[deny]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[deny] %s\033[0m\n' "$*" >&2; exit 1; }

if [ "$(cargo deny --version 2>/dev/null)" != "cargo-deny $CARGO_DENY_VERSION" ]; then
  say "installing cargo-deny $CARGO_DENY_VERSION (a few minutes, once)"
  cargo install cargo-deny --locked --version "$CARGO_DENY_VERSION"
fi

if timeout 20 git ls-remote --exit-code "$LIVE_DB" HEAD >/dev/null 2>&1; then
  say "advisories: the live database, $LIVE_DB"
  exec cargo deny check
fi

snapshot=
for candidate in "${ADVISORY_DB:-}" ../shared/advisory-db /work/shared/advisory-db; do
  if [ -n "$candidate" ] && [ -f "$candidate/SNAPSHOT.md" ] && [ -d "$candidate/crates" ]; then
    snapshot=$(cd "$candidate" && pwd)
    break
  fi
done
[ -n "$snapshot" ] || die "$LIVE_DB is out of reach and no snapshot was found (set ADVISORY_DB)"

# cargo-deny clones its databases with git, so the snapshot becomes a one-commit repository
# under target/ (rebuilt when the snapshot changes).
repo=target/advisory-db-snapshot
stamp=$(sha256sum < "$snapshot/SNAPSHOT.md")
if [ ! -d "$repo/.git" ] || [ "$(cat "$repo/.natter-stamp" 2>/dev/null)" != "$stamp" ]; then
  say "making a git repository of the snapshot at $snapshot"
  rm -rf "$repo"
  mkdir -p "$repo"
  cp -r "$snapshot"/. "$repo"/
  rm -rf "$repo/.git"
  git -C "$repo" init -q -b main
  git -C "$repo" add -A
  # Dated as the snapshot, not today, so nothing downstream takes it for fresh.
  when=$(grep -o '[0-9]\{4\}-[0-9]\{2\}-[0-9]\{2\}' "$snapshot/SNAPSHOT.md" | head -n 1)
  GIT_AUTHOR_DATE="${when}T00:00:00Z" GIT_COMMITTER_DATE="${when}T00:00:00Z" \
    git -C "$repo" -c user.name=natter -c user.email=natter@localhost \
    commit -q -m "RustSec advisory database snapshot"
  printf '%s' "$stamp" > "$repo/.natter-stamp"
fi
say "advisories: the offline snapshot ($(grep -o 'commit [0-9a-f]*.*)' "$snapshot/SNAPSHOT.md" | head -n 1))"
# cargo-deny only takes database URLs with a domain name, so it is left asking for the live
# one, and git (for cargo-deny's child processes only) fetches that from the snapshot.
export GIT_CONFIG_COUNT=1
export GIT_CONFIG_KEY_0="url.file://$PWD/$repo.insteadOf"
export GIT_CONFIG_VALUE_0="$LIVE_DB"
exec cargo deny check

#!/usr/bin/env bash
# `make dist`: the release as one tarball, target/dist/natter-<version>-<arch>-linux.tar.gz,
# holding what /opt/natter needs:
#   bin/natter, bin/hash.txt   the server and its assets' content hashes (read beside it)
#   site/                      the WASM bundle, JS, CSS, with .br/.gz beside each
#   natter.service, natter.env the systemd unit (dedicated user, StateDirectory, sandboxing)
#                              and its environment
#   nginx-natter.conf          an nginx site: TLS, WebSocket upgrades, long-polling
#   README.md                  how to install it (the README's "Deploy" section)
# Run after `make build`, which it does not repeat.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;34m[dist]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[dist] %s\033[0m\n' "$*" >&2; exit 1; }

[ -x target/release/natter ] && [ -d target/site/pkg ] || die "no release build: run make build first"
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
name="natter-$version-$(uname -m)-linux"
stage=target/dist/$name
# One tarball in target/dist, this build's (dist.spec.ts unpacks the only one).
rm -rf target/dist && mkdir -p target/dist
mkdir -p "$stage/bin"
cp target/release/natter "$stage/bin/"
# natter.env sets LEPTOS_HASH_FILES=true: without hash.txt the binary would not find its assets.
[ -f target/release/hash.txt ] || die "no target/release/hash.txt (cargo-leptos hash-files)"
cp target/release/hash.txt "$stage/bin/"
cp -r target/site "$stage/site"
# TypeScript declarations and placeholders are for building, not serving.
find "$stage/site" \( -name '*.ts' -o -name .gitkeep \) -delete
cp deploy/natter.service deploy/natter.env deploy/nginx-natter.conf "$stage/"
awk '/^## Deploy/ { on = 1; print "# Natter " v; print ""; next } on && /^## / { exit } on' \
  v="$version" README.md > "$stage/README.md"
[ -s "$stage/README.md" ] || die "the README has no \"## Deploy\" section"
tar -C target/dist -czf "target/dist/$name.tar.gz" "$name"
rm -rf "$stage"
say "target/dist/$name.tar.gz ($(du -h "target/dist/$name.tar.gz" | cut -f1))"

# `make run` and `make test` do all the set-up they need on a fresh machine.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

# What cargo-leptos would export; the release binary reads them at start-up.
export LEPTOS_OUTPUT_NAME ?= natter
export LEPTOS_SITE_ROOT ?= target/site
export LEPTOS_SITE_PKG_DIR ?= pkg
export LEPTOS_SITE_ADDR ?= 127.0.0.1:3000
# Asset names carry a content hash, listed in target/release/hash.txt by cargo-leptos.
export LEPTOS_HASH_FILES ?= true

.PHONY: run test setup setup-test build dist lint deny test-rust e2e fuzz fuzz-smoke fuzz-net clean screenshots

run: setup build
	target/release/natter $(ARGS)

test: setup-test lint deny test-rust build dist e2e fuzz-smoke

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh test

build:
	cargo leptos build --release
	node scripts/precompress.mjs $(LEPTOS_SITE_ROOT)/$(LEPTOS_SITE_PKG_DIR)

# The release tarball (scripts/dist.sh); e2e's dist.spec.ts unpacks it and chats through it.
dist: build
	scripts/dist.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --features ssr,fault-injection -- -D warnings
	cargo clippy --lib --no-default-features --features hydrate --target wasm32-unknown-unknown \
	  --target-dir target/front -- -D warnings

# Supply chain: advisories (live RustSec database, else the offline snapshot), licenses,
# bans, sources; installs its pinned cargo-deny if missing.
deny:
	scripts/deny.sh

# fault-injection: the cluster tests' hook between COMMIT and PUBLISH (never in `make build`).
test-rust:
	cargo test --workspace --features ssr,fault-injection

e2e:
	cd end2end && npx playwright test

# The README's pictures: desktop and 360 px, light and dark.
screenshots: setup-test build
	cd end2end && npx playwright test screenshots
	mkdir -p docs/screenshots && cp target/screenshots/*.png docs/screenshots/

fuzz:
	scripts/fuzz.sh 60

# 100,000 malformed packets over WebSocket and polling at the real binary while three clients
# chat (tests/fuzz_net.rs); `make test` runs it with 20,000. PACKETS=N for another count.
fuzz-net:
	NATTER_FUZZ_NET_PACKETS=$${PACKETS:-100000} cargo test --features ssr --test fuzz_net -- --nocapture

# Wherever a nightly toolchain is installed (libFuzzer needs it): fuzz.sh installs its pinned
# cargo-fuzz if missing. No script can install nightly on a machine that cannot download it,
# so there the smoke says loudly that it did not fuzz.
fuzz-smoke:
	@if cargo +nightly --version >/dev/null 2>&1; then \
	  scripts/fuzz.sh 10; \
	else \
	  why=$$(cargo +nightly --version 2>&1 | head -n 1 || true); \
	  printf '\n\033[1;33m%s\n%s\n%s\033[0m\n\n' \
	    "*** FUZZING SKIPPED: no nightly toolchain (\`cargo +nightly --version\`: $$why)" \
	    "*** Install one with \`rustup toolchain install nightly\`, then \`make fuzz\`." \
	    "*** The protocol decoders and contract payloads were NOT fuzzed in this run."; \
	fi

# Three nodes on 127.0.0.1:3001-3003 behind nginx on :3000, on the machine's Redis and
# Postgres (scripts/cluster.sh; README "Several nodes").
.PHONY: cluster cluster-down
cluster: setup-test build
	scripts/cluster.sh up

cluster-down:
	scripts/cluster.sh down

clean:
	cargo clean

# Natter against the Socket.IO tutorial's Node server, side by side (BENCHMARKS.md); loopback
# only. The release build is snapshotted into target/bench/ first, so a rebuild of target/site
# during the run (another `make`) cannot change what is measured. `make bench-quick` takes a
# few minutes; BENCH_ARGS passes flags to natter-bench.
BENCH_RUN := ulimit -n 65536 2>/dev/null || ulimit -n "$$(ulimit -Hn)"; \
  target/release/natter-bench --natter-bin target/bench/natter --site-root target/bench/site

.PHONY: bench bench-quick bench-setup
bench-setup: build
	rm -rf target/bench && mkdir -p target/bench
	cp target/release/natter target/bench/natter
	if [ -f target/release/hash.txt ]; then cp target/release/hash.txt target/bench/; fi
	cp -r target/site target/bench/site
	cd bench/reference && npm ci --no-audit --no-fund
	if [ ! -d end2end/node_modules/@playwright/test ]; then cd end2end && npm ci --no-audit --no-fund; fi
	cargo build --release -p natter-bench

bench: bench-setup
	$(BENCH_RUN) $(BENCH_ARGS)

bench-quick: bench-setup
	$(BENCH_RUN) --quick $(BENCH_ARGS)

# 2,000 idle clients and 40 connect-and-abandon a second for 20 minutes (SOAK_ARGS, e.g.
# "--minutes 5"): the RSS slope, and how soon the connections are back to the idle ones.
.PHONY: soak
soak: bench-setup
	$(BENCH_RUN) soak $(SOAK_ARGS)

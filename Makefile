# `make run` and `make test` do all the set-up they need on a fresh machine.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

# What cargo-leptos would export; the release binary reads them at start-up.
export LEPTOS_OUTPUT_NAME ?= natter
export LEPTOS_SITE_ROOT ?= target/site
export LEPTOS_SITE_PKG_DIR ?= pkg
export LEPTOS_SITE_ADDR ?= 127.0.0.1:3000

.PHONY: run test setup setup-test build lint test-rust e2e fuzz clean

run: setup build
	target/release/natter $(ARGS)

test: setup-test lint test-rust build e2e

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh test

build:
	cargo leptos build --release

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --features ssr -- -D warnings
	cargo clippy --lib --no-default-features --features hydrate --target wasm32-unknown-unknown \
	  --target-dir target/front -- -D warnings

test-rust:
	cargo test --workspace --features ssr

e2e:
	cd end2end && npx playwright test

clean:
	cargo clean

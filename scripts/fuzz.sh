#!/usr/bin/env bash
# Fuzzes the decoders of what comes off the wire (natter-protocol's, and the contract's payload
# checks in fuzz_contract): every cargo-fuzz target for SECONDS each (default 60),
# seeded from fuzz/seeds/<target>/ (wire vectors, CVE-2022-2421's among them) on top of the
# gitignored fuzz/corpus/<target>/ that grows run after run. Prints the executions per target
# and exits non-zero if any target crashed, leaked, hung or did not run.
#
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."

# 0.13.2 installs with --locked on the stable toolchain; unpinned, a newer release could need a
# newer rustc than this machine has.
CARGO_FUZZ_VERSION=0.13.2
FUZZ_DIR=crates/natter-protocol/fuzz
TARGETS=(fuzz_payload fuzz_eio_packet fuzz_sio_packet fuzz_contract)
SECONDS_EACH=${1:-60}

say() { printf '\033[1;34m[fuzz]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[fuzz] %s\033[0m\n' "$*" >&2; exit 1; }

[[ $SECONDS_EACH =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a positive whole number, got '$SECONDS_EACH'"
# libFuzzer needs nightly's -Zsanitizer; only rustup can provide that toolchain.
cargo +nightly --version >/dev/null 2>&1 ||
  die "no nightly toolchain: install it with \`rustup toolchain install nightly\`"
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  say "installing cargo-fuzz $CARGO_FUZZ_VERSION (about a minute, once)"
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

say "building ${#TARGETS[@]} targets (release, AddressSanitizer)"
cargo +nightly fuzz build --fuzz-dir "$FUZZ_DIR"

# Under target/, which git ignores.
LOGS=$FUZZ_DIR/target/fuzz-logs
mkdir -p "$LOGS"
declare -A EXECS STATUS
for target in "${TARGETS[@]}"; do
  corpus=$FUZZ_DIR/corpus/$target
  seeds=$FUZZ_DIR/seeds/$target
  [ -d "$seeds" ] || die "no seed dir $seeds"
  mkdir -p "$corpus"
  log=$LOGS/$target.log
  say "$target: ${SECONDS_EACH}s (log: $log)"
  # The first corpus dir receives new inputs; the seeds are only read. -timeout turns a hang
  # into a failure; the outer timeout covers libFuzzer itself wedging.
  set +e
  timeout --kill-after=10 $((SECONDS_EACH + 120)) \
    cargo +nightly fuzz run --fuzz-dir "$FUZZ_DIR" "$target" "$corpus" "$seeds" -- \
    -max_total_time="$SECONDS_EACH" -max_len=4096 -timeout=10 -print_final_stats=1 \
    >"$log" 2>&1
  status=$?
  set -e
  EXECS[$target]=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  STATUS[$target]=$status
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log" >&2
  fi
done

failed=0
printf '\n%-18s %14s %8s  %s\n' target executions exit result
for target in "${TARGETS[@]}"; do
  execs=${EXECS[$target]:-?}
  status=${STATUS[$target]}
  if [ "$status" -eq 0 ] && [ "$execs" != "?" ]; then
    result=ok
  else
    result="FAILED (artifacts, if any: $FUZZ_DIR/artifacts/$target/)"
    failed=1
  fi
  printf '%-18s %14s %8s  %s\n' "$target" "$execs" "$status" "$result"
done
[ "$failed" -eq 0 ] || die "a fuzz target failed; reproduce with: cargo +nightly fuzz run --fuzz-dir $FUZZ_DIR <target> <artifact>"
say "no crash in ${SECONDS_EACH}s per target"

#!/usr/bin/env bash
# Builds the kernels crate to packages/contrastive/wasm/contrastive-{simd128,relaxed,simd128-threads,relaxed-threads}.wasm.
#
# The *-threads builds are the opt-in multi-threaded ones (init({ threads })): atomics, a shared
# memory imported from the host (so worker instances can share it), and the globals a worker
# needs to get its own stack and TLS block exported; relaxed-threads adds relaxed SIMD (fused
# multiply-add), picked where the engine has it. Their std must be compiled with atomics, so
# they always use -Zbuild-std; under rustup that needs the rust-src component, and without it
# they are skipped with a warning (the single-threaded builds do not need it).
#
# Two toolchains work:
#  * rustup with `rustup target add wasm32-unknown-unknown` (an ordinary machine): prebuilt std;
#  * Debian's rustc-web + cargo-web + rust-web-src (this project's CI): no prebuilt wasm32 std,
#    so std is compiled from the vendored sources with -Zbuild-std (RUSTC_BOOTSTRAP=1), linked
#    by wasm-ld-22. See ../shared/TOOLCHAIN.md.
# Each variant has its own target dir: changing target features rebuilds std.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=packages/contrastive/wasm
mkdir -p "$OUT"
CRATE=contrastive_kernels
VARIANTS=${VARIANTS:-"simd128 relaxed simd128-threads relaxed-threads"}
# Initial memory of the threads build, in bytes: the host creates the shared memory, so the size
# is fixed here and mirrored by THREADS_INITIAL_PAGES in packages/contrastive/src/runtime/threads.ts.
THREADS_INITIAL_MEMORY=$((64 * 65536))

threads_flags() {
  # 4 GiB maximum like the unshared builds (a shared memory cannot be grown past its declared maximum).
  local l="-C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=4294967296"
  l="$l -C link-arg=--initial-memory=$THREADS_INITIAL_MEMORY"
  for g in __stack_pointer __wasm_init_tls __tls_size __tls_align __tls_base; do l="$l -C link-arg=--export=$g"; done
  echo "+atomics,+bulk-memory,+mutable-globals $l"
}

flags_for() {
  case "$1" in
    simd128) echo "-C target-feature=+simd128" ;;
    relaxed) echo "-C target-feature=+simd128,+relaxed-simd" ;;
    simd128-threads) echo "-C target-feature=+simd128,$(threads_flags)" ;;
    relaxed-threads) echo "-C target-feature=+simd128,+relaxed-simd,$(threads_flags)" ;;
  esac
}

if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  MODE=rustup
elif [ -x /usr/bin/rustc ] && [ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library/vendor" ]; then
  MODE=debian
else
  echo "build-wasm: no wasm32 toolchain. Either 'rustup target add wasm32-unknown-unknown', or" >&2
  echo "  apt-get install -y --no-install-recommends rustc-web cargo-web rust-web-src lld-22" >&2
  exit 1
fi

for v in $VARIANTS; do
  TD="$ROOT/target/wasm-$v"
  if [ "$MODE" = rustup ] && [ "${v%-threads}" != "$v" ]; then
    if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
      echo "build-wasm: WARNING: skipping $v: it needs std rebuilt with atomics (-Zbuild-std)," >&2
      echo "  which needs 'rustup component add rust-src'. init({ threads }) will be unavailable." >&2
      continue
    fi
    RUSTC_BOOTSTRAP=1 RUSTFLAGS="$(flags_for "$v")" cargo build --release --offline -p contrastive-kernels \
      -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown --target-dir "$TD"
  elif [ "$MODE" = rustup ]; then
    RUSTFLAGS="$(flags_for "$v")" cargo build --release --offline -p contrastive-kernels \
      --target wasm32-unknown-unknown --target-dir "$TD"
  else
    SRC="$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library"
    LINKER=$(command -v wasm-ld-22 || command -v wasm-ld || echo rust-lld)
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 RUSTFLAGS="$(flags_for "$v")" \
      /usr/bin/cargo build --offline --release -p contrastive-kernels \
      -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown --target-dir "$TD" \
      --config "source.crates-io.replace-with=\"rust-std-vendor\"" \
      --config "source.rust-std-vendor.directory=\"$SRC/vendor\"" \
      --config "target.wasm32-unknown-unknown.linker=\"$LINKER\""
  fi
  IN="$TD/wasm32-unknown-unknown/release/$CRATE.wasm"
  DST="$OUT/contrastive-$v.wasm"
  # wasm-opt from the workspace's binaryen (npm, a dev dependency): Debian's older one
  # cannot parse the final relaxed-SIMD opcodes.
  WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"
  [ -x "$WASM_OPT" ] || WASM_OPT=$(command -v wasm-opt || true)
  if [ -x "$WASM_OPT" ]; then
    FEAT="--enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-reference-types"
    [ "${v#relaxed}" != "$v" ] && FEAT="$FEAT --enable-relaxed-simd"
    [ "${v%-threads}" != "$v" ] && FEAT="$FEAT --enable-threads"
    # shellcheck disable=SC2086
    "$WASM_OPT" -O3 $FEAT "$IN" -o "$DST.tmp"
  else
    echo "build-wasm: wasm-opt not found, copying the unoptimized module" >&2
    cp "$IN" "$DST.tmp"
  fi
  mv "$DST.tmp" "$DST"
  echo "build-wasm: $DST ($(wc -c <"$DST") bytes, $MODE toolchain)"
done

#!/usr/bin/env bash
# Builds the kernels crate to packages/contrastive/wasm/contrastive-{simd128,relaxed}.wasm.
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
VARIANTS=${VARIANTS:-"simd128 relaxed"}

flags_for() {
  case "$1" in
    simd128) echo "-C target-feature=+simd128" ;;
    relaxed) echo "-C target-feature=+simd128,+relaxed-simd" ;;
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
  if [ "$MODE" = rustup ]; then
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
    [ "$v" = relaxed ] && FEAT="$FEAT --enable-relaxed-simd"
    # shellcheck disable=SC2086
    "$WASM_OPT" -O3 $FEAT "$IN" -o "$DST.tmp"
  else
    echo "build-wasm: wasm-opt not found, copying the unoptimized module" >&2
    cp "$IN" "$DST.tmp"
  fi
  mv "$DST.tmp" "$DST"
  echo "build-wasm: $DST ($(wc -c <"$DST") bytes, $MODE toolchain)"
done

#!/usr/bin/env bash
# Builds bench/bindgen/probe (one kernel exported both through #[wasm_bindgen] and through this
# package's raw-pointer convention) to bench/bindgen/out/ with wasm-bindgen --target web, for
# measure.mjs. Needs crates.io (cargo vendor) and `cargo install wasm-bindgen-cli --version 0.2.100`.
# On Debian's rustc-web (no prebuilt wasm32 std) std comes from the vendored library sources, so
# the crates.io sources are vendored beside them into one directory.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
W=${BINDGEN_WORK:-/tmp/contrastive-bindgen}
mkdir -p "$W/merged"
(cd probe && cargo vendor --quiet "$W/vendor" >/dev/null)
SRC="$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library"
for d in "$SRC"/vendor/* "$W"/vendor/*; do
  b=$(basename "$d")
  [ -e "$W/merged/$b" ] || ln -s "$(readlink -f "$d")" "$W/merged/$b"
done
LINKER=$(command -v wasm-ld-22 || command -v wasm-ld)
(cd probe && RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 RUSTFLAGS="-C target-feature=+simd128" /usr/bin/cargo build --offline --release \
  -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown --target-dir "$W/target" \
  --config 'source.crates-io.replace-with="merged"' --config "source.merged.directory=\"$W/merged\"" \
  --config "target.wasm32-unknown-unknown.linker=\"$LINKER\"")
rm -rf "$HERE/out"
"${WASM_BINDGEN:-$HOME/.cargo/bin/wasm-bindgen}" --target web --out-dir "$HERE/out" "$W/target/wasm32-unknown-unknown/release/bgprobe.wasm"
ls -l "$HERE/out"

#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine (as root) and builds it.
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

need=()
have_rust_wasm() {
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown && return 0
  [ -x /usr/bin/rustc ] && [ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library/vendor" ] && command -v wasm-ld-22 >/dev/null
}
have_rust_wasm || need+=(rustc-web cargo-web rust-web-src lld-22)
command -v chromium >/dev/null || need+=(chromium)
command -v cargo >/dev/null || need+=(rustc-web cargo-web)
# the Python-side tests (PyTorch round trips, the ONNX checker): Debian's CPU torch, not PyPI's CUDA wheel
/usr/bin/python3 -c 'import torch, numpy, onnx' 2>/dev/null || need+=(python3-torch python3-numpy python3-onnx)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing ${need[*]}; run as root or: sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
    exit 1
  fi
  echo "setup: apt-get install ${need[*]}"
  apt-get update -q
  # rustc-web, cargo-web and rust-web-src in one command so their versions match
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi
if ! command -v pnpm >/dev/null || [ "$(pnpm --version)" != "12.4.2" ]; then
  npm i -g pnpm@12.4.2
fi
pnpm install --frozen-lockfile
pnpm build

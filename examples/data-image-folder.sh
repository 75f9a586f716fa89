pnpm contrastive train --data examples/data/digits --epochs 2 --batch-size 40 --val-split 0.2 --monitor --out "${TMPDIR:-/tmp}/digits.safetensors"
pnpm contrastive eval --model "${TMPDIR:-/tmp}/digits.safetensors" --data examples/data/digits --val-split 0.2
pnpm contrastive embed --model "${TMPDIR:-/tmp}/digits.safetensors" --data examples/data/digits --out "${TMPDIR:-/tmp}/digits.npy"

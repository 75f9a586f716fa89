pnpm contrastive train --data examples/data/pairs.jsonl --method clip --epochs 20 --batch-size 32 --out "${TMPDIR:-/tmp}/pairs.safetensors"

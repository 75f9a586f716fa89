pnpm contrastive train --encoder mlp --epochs 10 --seed 0 --threads 2 --out mlp.safetensors && pnpm contrastive eval --model mlp.safetensors

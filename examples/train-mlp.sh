pnpm contrastive train --encoder mlp --epochs 10 --seed 0 --out mlp.safetensors
pnpm contrastive eval --model mlp.safetensors --json

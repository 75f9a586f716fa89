pnpm contrastive train --method byol --encoder mlp --epochs 1 --out byol.safetensors
pnpm contrastive eval --model byol.safetensors

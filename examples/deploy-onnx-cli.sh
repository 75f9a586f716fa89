pnpm contrastive train --encoder mlp --epochs 1 --out model.safetensors
pnpm contrastive export --model model.safetensors --format onnx --out encoder.onnx

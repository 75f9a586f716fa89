pnpm contrastive train --encoder resnet-small --epochs 1 --batch-size 256 --freeze conv1,bn1 --out resnet.safetensors

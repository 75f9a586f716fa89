pnpm contrastive augment --out views.png                       # see the augmentations
pnpm contrastive train --encoder conv --epochs 12 --monitor    # SimCLR on MNIST, progress bar, kNN per epoch
pnpm contrastive eval --model model.safetensors --json         # {"linearProbeAccuracy": ..., "knnAccuracy": ...}
pnpm contrastive embed --model model.safetensors --images examples/data/digits-images-idx3-ubyte.gz --out emb.npy

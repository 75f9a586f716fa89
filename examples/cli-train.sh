pnpm contrastive augment --out views.png         # look at the augmentations first
pnpm contrastive train --encoder conv --monitor --out enc.safetensors   # the recipe's 20 epochs
pnpm contrastive eval --model enc.safetensors    # linear probe + kNN on the test split
pnpm contrastive eval                            # the same probes on raw pixels (the baseline)
pnpm contrastive embed --model enc.safetensors --images examples/data/digits-images-idx3-ubyte.gz --out emb.npy

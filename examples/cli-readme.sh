npx contrastive-cli augment --out views.png                    # a PNG grid: original | view 1 | view 2
npx contrastive-cli train --encoder conv --monitor --out enc.safetensors
npx contrastive-cli eval --model enc.safetensors --json        # {"linearProbeAccuracy": ..., "knnAccuracy": ...}
npx contrastive-cli eval                                       # the same probes on raw pixels
npx contrastive-cli embed --model enc.safetensors --images examples/data/digits-images-idx3-ubyte.gz --out emb.npy

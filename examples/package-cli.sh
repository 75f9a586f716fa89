npx contrastive-cli train --encoder mlp --out mlp.safetensors   # SimCLR on the built-in MNIST digits
npx contrastive-cli eval --model mlp.safetensors --json         # linear probe + kNN on the test digits

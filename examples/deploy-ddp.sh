"${PYTHON:-python3}" -c "import numpy as np; np.save('x.npy', np.random.rand(512, 784).astype('float32'))"
"${PYTHON:-python3}" encoder-torch/contrastive_torch.py train --model encoder-torch/model.safetensors --data x.npy \
  --out encoder-ddp.safetensors --world-size 2 --steps 20 --batch-size 64
pnpm contrastive eval --model encoder-ddp.safetensors --json

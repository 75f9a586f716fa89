pnpm contrastive train --encoder mlp --epochs 1 --out encoder.safetensors
pnpm contrastive export --model encoder.safetensors --format torch --out encoder-torch
"${PYTHON:-python3}" -c "
import sys; sys.path.insert(0, 'encoder-torch')
import contrastive_torch as ct
model, meta = ct.load_model('encoder-torch/model.safetensors')
print(model)
"

"""sentence-transformers all-MiniLM-L6-v2 on PyTorch, one thread: inference (encode of token ids:
transformer + mean pooling + normalize, no_grad) and a training step's forward + backward
(sum(embeddings * dy) backward, no optimizer), batch x seq tokens of fixed ids. Prints JSON.
Usage: python3 bench/peers/minilm_torch.py MODEL_DIR BATCH SEQ RUNS"""
import json
import sys
import time

import torch

torch.set_num_threads(1)
from sentence_transformers import SentenceTransformer  # noqa: E402

model_dir, b, s, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
m = SentenceTransformer(model_dir, device="cpu")
g = torch.Generator().manual_seed(0)
ids = torch.randint(1000, 30000, (b, s), generator=g)
ids[:, 0] = 101
ids[:, -1] = 102
feats = {"input_ids": ids, "attention_mask": torch.ones(b, s, dtype=torch.long), "token_type_ids": torch.zeros(b, s, dtype=torch.long)}
dy = torch.randn(b, 384, generator=g)


def infer():
    with torch.no_grad():
        return m(dict(feats))["sentence_embedding"]


def train():
    m.train()
    for mod in m.modules():  # dropout off, as in the comparison
        if isinstance(mod, torch.nn.Dropout):
            mod.p = 0.0
    m.zero_grad()
    (m(dict(feats))["sentence_embedding"] * dy).sum().backward()
    m.eval()


out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "embedding": infer()[0, :4].tolist()}
for name, f in [("inference", infer), ("train", train)]:
    f()
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    t.sort()
    out[name] = t[len(t) // 2]
print(json.dumps(out))

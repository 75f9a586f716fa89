"""sentence-transformers all-MiniLM-L6-v2 on PyTorch, one thread: inference (encode of token ids:
transformer + mean pooling + normalize, no_grad) and a training step's forward + backward
(sum(embeddings * dy) backward, no optimizer), batch x seq tokens of fixed ids. Prints JSON; with
IDS_JSON (a flat list of batch * seq token ids, as bench/minilm.mjs writes) it runs on those ids
and also prints the inference embeddings ("embeddings", flat), for the agreement check; RUNS 0
only computes them.
Usage: python3 bench/peers/minilm_torch.py MODEL_DIR BATCH SEQ RUNS [IDS_JSON]"""
import json
import sys
import time

import torch

torch.set_num_threads(1)
import sentence_transformers  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

model_dir, b, s, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
m = SentenceTransformer(model_dir, device="cpu")
g = torch.Generator().manual_seed(0)
if len(sys.argv) > 5:
    with open(sys.argv[5]) as f:
        ids = torch.tensor(json.load(f), dtype=torch.long).reshape(b, s)
else:
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


emb = infer()
out = {"torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__, "threads": torch.get_num_threads(), "embedding": emb[0, :4].tolist()}
if len(sys.argv) > 5:
    out["embeddings"] = emb.flatten().tolist()
for name, f in [("inference", infer), ("train", train)] if runs > 0 else []:
    f()
    t = []
    c0 = time.process_time()
    for _ in range(runs):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    out[name + "_cpu"] = (time.process_time() - c0) / sum(t)  # CPU time / wall time: about 1 on one thread
    t.sort()
    out[name] = t[len(t) // 2]
print(json.dumps(out))

"""sentence-transformers' side of the WordNet benchmark: the same static model (StaticEmbedding over
the same tokenizer.json, 256 dims) trained with MatryoshkaLoss(MultipleNegativesRankingLoss) on the
same pairs, batch, lr, warmup and epochs, then scored with InformationRetrievalEvaluator on the same
held-out queries. Reports pairs/s. The loop is the work of SentenceTransformerTrainer's step without
the Hugging Face Trainer around it (which needs the `datasets` package): seeded shuffled batches,
model.tokenize, the loss's forward, backward, AdamW (torch), linear warmup + decay.

    node bench/wordnet/build.mjs && node bench/wordnet/run.mjs --only static   # writes data/tokenizer.json
    python3 bench/wordnet/st_static.py [--threads 1] [--epochs 1] [--batch 128] [--lr 0.05]
"""
import argparse
import json
import os
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--epochs", type=int, default=1)
ap.add_argument("--batch", type=int, default=128)
ap.add_argument("--lr", type=float, default=0.05)
ap.add_argument("--dim", type=int, default=256)
args = ap.parse_args()
torch.set_num_threads(args.threads)
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import sentence_transformers  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402
from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator  # noqa: E402
from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss, MultipleNegativesRankingLoss  # noqa: E402
from sentence_transformers.sentence_transformer.modules import StaticEmbedding  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

d = args.data
rows = [json.loads(l) for l in open(os.path.join(d, "train.jsonl"))]
tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
model = SentenceTransformer(modules=[StaticEmbedding(tok, embedding_dim=args.dim)], device="cpu")
dims = [args.dim, args.dim // 2, args.dim // 4, args.dim // 8]
loss = MatryoshkaLoss(model, MultipleNegativesRankingLoss(model), matryoshka_dims=dims)
opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
g = torch.Generator().manual_seed(0)
steps = args.epochs * (len(rows) // args.batch)
warm = round(0.1 * steps)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: (t + 1) / (warm + 1) if t < warm else max(0.0, (steps - t) / max(1, steps - warm)))
model.train()
t0 = time.time()
for e in range(args.epochs):
    order = torch.randperm(len(rows), generator=g).tolist()
    for b in range(len(rows) // args.batch):
        batch = [rows[i] for i in order[b * args.batch:(b + 1) * args.batch]]
        feats = [model.tokenize([r["anchor"] for r in batch]), model.tokenize([r["positive"] for r in batch])]
        value = loss(feats, None)
        opt.zero_grad()
        value.backward()
        opt.step()
        sched.step()
secs = time.time() - t0
model.eval()
queries = {json.loads(l)["_id"]: json.loads(l)["text"] for l in open(os.path.join(d, "queries.jsonl"))}
corpus = {json.loads(l)["_id"]: json.loads(l)["text"] for l in open(os.path.join(d, "corpus.jsonl"))}
rel = {}
for i, l in enumerate(open(os.path.join(d, "qrels.tsv"))):
    if i == 0:
        continue
    q, c, _ = l.rstrip("\n").split("\t")
    rel.setdefault(q, set()).add(c)
ev = InformationRetrievalEvaluator(queries, corpus, rel, name="wordnet", batch_size=256)
m = ev(model)
pick = {k.split("wordnet_cosine_")[1]: v for k, v in m.items() if k.startswith("wordnet_cosine_") and k.split("wordnet_cosine_")[1] in ("mrr@10", "ndcg@10", "recall@1", "recall@10")}
print(json.dumps({"sentence_transformers": sentence_transformers.__version__, "torch": torch.__version__, "threads": args.threads,
                  "pairs": len(rows), "epochs": args.epochs, "trainSeconds": secs, "pairsPerSecond": len(rows) * args.epochs / secs, **pick}))

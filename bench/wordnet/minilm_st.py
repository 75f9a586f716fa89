"""sentence-transformers' side of minilm.mjs: all-MiniLM-L6-v2 fine-tuned with MNRL (scale 20) on the
same WordNet pairs (every 49th training pair), batch, lr, warmup (10%, linear) and epochs (1), AdamW
(weight decay 0.01), torch on --threads threads; InformationRetrievalEvaluator before and after on
the same test queries.

    python3 bench/wordnet/minilm_st.py --model DIR [--pairs 2000] [--batch 32] [--lr 5e-5] [--queries 1000] [--threads 1]
"""
import argparse
import json
import os
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
ap.add_argument("--model", required=True)
ap.add_argument("--pairs", type=int, default=2000)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--lr", type=float, default=5e-5)
ap.add_argument("--queries", type=int, default=1000)
ap.add_argument("--threads", type=int, default=1)
args = ap.parse_args()
torch.set_num_threads(args.threads)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
from sentence_transformers import SentenceTransformer  # noqa: E402
from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator  # noqa: E402
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss  # noqa: E402

d = args.data
rows = [json.loads(l) for i, l in enumerate(open(os.path.join(d, "train.jsonl"))) if i % 49 == 0][: args.pairs]
queries = dict(list((json.loads(l)["_id"], json.loads(l)["text"]) for l in open(os.path.join(d, "queries.jsonl")))[: args.queries])
corpus = {json.loads(l)["_id"]: json.loads(l)["text"] for l in open(os.path.join(d, "corpus.jsonl"))}
rel = {}
for i, l in enumerate(open(os.path.join(d, "qrels.tsv"))):
    if i:
        q, c, _ = l.rstrip("\n").split("\t")
        rel.setdefault(q, set()).add(c)
model = SentenceTransformer(args.model, device="cpu")
ev = InformationRetrievalEvaluator(queries, corpus, rel, name="wn", batch_size=64)
pick = lambda m: {k.split("wn_cosine_")[1]: v for k, v in m.items() if k.startswith("wn_cosine_") and k.split("wn_cosine_")[1] in ("mrr@10", "ndcg@10", "recall@1", "recall@10")}
before = pick(ev(model))
loss = MultipleNegativesRankingLoss(model, scale=20.0)
opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
steps = -(-len(rows) // args.batch)  # the last batch may be smaller, as sentence-transformers' default
warm = round(0.1 * steps)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: (t + 1) / (warm + 1) if t < warm else max(0.0, (steps - t) / max(1, steps - warm)))
model.train()
t0 = time.time()
for b in range(steps):
    batch = rows[b * args.batch:(b + 1) * args.batch]
    feats = [model.tokenize([r["anchor"] for r in batch]), model.tokenize([r["positive"] for r in batch])]
    v = loss(feats, None)
    opt.zero_grad()
    v.backward()
    opt.step()
    sched.step()
secs = time.time() - t0
model.eval()
print(json.dumps({"side": "sentence-transformers", "threads": args.threads, "pairs": len(rows), "steps": steps, "trainSeconds": secs,
                  "pairsPerSecond": len(rows) / secs, "before": before, "after": pick(ev(model))}))

"""Reference values for the evaluators: sentence-transformers' InformationRetrievalEvaluator
metrics (on its own util.semantic_search hits) and EmbeddingSimilarityEvaluator's correlations
(scipy pearsonr / spearmanr of pairwise cosine), on fixed float32-representable embeddings.

    python3 test/reference/sentence/gen_eval.py
"""
import json
import os

import numpy as np
import scipy
import sentence_transformers
import torch
from scipy.stats import pearsonr, spearmanr
from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator
from sentence_transformers.util import semantic_search

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)


def f32(x):
    return x.astype(np.float32)


nq, nc, d = 40, 300, 16
corpus = f32(rng.standard_normal((nc, d)))
# queries near a few corpus rows, so hits land at every rank, including beyond the top 10
queries = f32(rng.standard_normal((nq, d)) * 1.5)
qids = [f"q{i:03d}" for i in range(nq)]
cids = [f"d{j:04d}" for j in range(nc)]  # lexical order = index order (sentence-transformers breaks ties by id)
qrels = {}
for i in range(nq):
    if i % 13 == 5:
        continue  # no judged document: left out of the mean
    rel = rng.choice(nc, size=int(rng.integers(1, 5)), replace=False)
    for j in rel[: max(1, len(rel) // 2)]:
        queries[i] += f32(corpus[j] * rng.uniform(0.5, 2.0))
    qrels[qids[i]] = {cids[j]: int(rng.integers(1, 4)) for j in rel}
queries = f32(queries)

ev = InformationRetrievalEvaluator(
    queries={q: q for q in qids}, corpus={c: c for c in cids},
    relevant_docs={q: set(v) for q, v in qrels.items()}, name="fixture",
)
hits = semantic_search(torch.tensor(queries), torch.tensor(corpus), top_k=100)
result = [[{"corpus_id": cids[h["corpus_id"]], "score": h["score"]} for h in row] for row in hits]
qindex = {q: i for i, q in enumerate(qids)}
st = ev.compute_metrics([result[qindex[q]] for q in ev.queries_ids])
metrics = {}
for name, key in [("accuracy", "accuracy@k"), ("precision", "precision@k"), ("recall", "recall@k"), ("ndcg", "ndcg@k"), ("mrr", "mrr@k"), ("map", "map@k")]:
    for k, v in st[key].items():
        metrics[f"{name}@{k}"] = float(v)

# graded NDCG@10 (linear gain, as trec_eval ndcg_cut), computed here from its definition
def graded_ndcg(k):
    vals = []
    for q in ev.queries_ids:
        rel = qrels[q]
        ranked = [cids[h["corpus_id"]] for h in hits[qindex[q]]][:k]
        dcg = sum(rel.get(c, 0) / np.log2(r + 2) for r, c in enumerate(ranked))
        ideal = sum(g / np.log2(r + 2) for r, g in enumerate(sorted(rel.values(), reverse=True)[:k]))
        vals.append(dcg / ideal)
    return float(np.mean(vals))

n = 50
a, b = f32(rng.standard_normal((n, 8))), f32(rng.standard_normal((n, 8)))
gold = [float(v) for v in np.round(rng.uniform(0, 5, size=n) * 2) / 2]  # half-point steps: many ties
cos = torch.nn.functional.cosine_similarity(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)).numpy()
out = {
    "meta": {"generator": "test/reference/sentence/gen_eval.py", "sentence_transformers": sentence_transformers.__version__,
             "torch": torch.__version__, "scipy": scipy.__version__},
    "ir": {"queries": queries.reshape(-1).tolist(), "corpus": corpus.reshape(-1).tolist(), "nq": nq, "nc": nc, "d": d,
           "queryIds": qids, "corpusIds": cids, "qrels": qrels, "metrics": metrics, "evaluated": len(ev.queries_ids),
           "gradedNdcg@10": graded_ndcg(10),
           "top10": [[h["corpus_id"] for h in row[:10]] for row in hits]},
    "sts": {"a": a.reshape(-1).tolist(), "b": b.reshape(-1).tolist(), "n": n, "d": 8, "gold": gold,
            "pearson": float(pearsonr(gold, cos)[0]), "spearman": float(spearmanr(gold, cos)[0])},
}
with open(os.path.join(HERE, "eval.json"), "w") as f:
    json.dump(out, f)
print(json.dumps(metrics, indent=1), out["ir"]["evaluated"], out["sts"]["pearson"], out["sts"]["spearman"])

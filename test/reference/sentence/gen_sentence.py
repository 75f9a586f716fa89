"""Reference vectors for the sentence-embedding losses (mnrl, cosent, contrastiveLoss, Matryoshka).

Truth is sentence-transformers' own loss classes (compute_loss_from_embeddings) run in float64
on float32-representable embeddings, with gradients by torch autograd; every case is also
recomputed from a plain torch float64 transcription of the published formula, and the two must
agree to 1e-10 before the file is written.

    python3 test/reference/sentence/gen_sentence.py      # pyenv python3: torch 2.x + sentence-transformers
"""
import json
import os

import numpy as np
import sentence_transformers
import torch
import torch.nn.functional as F
from sentence_transformers.sentence_transformer.losses import (
    ContrastiveLoss,
    CoSENTLoss,
    MultipleNegativesRankingLoss,
)
from sentence_transformers.sentence_transformer.losses.matryoshka import shrink

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(19)


def rows(n, d):
    """Gaussian rows with norms spread over two orders of magnitude, float32-representable."""
    x = rng.standard_normal((n, d)) * (10 ** rng.uniform(-1, 1, size=(n, 1)))
    return x.astype(np.float32).astype(np.float64)


def t(x):
    return torch.tensor(x, requires_grad=True)


def flat(x):
    return [float(v) for v in np.asarray(x).reshape(-1)]


# plain float64 transcriptions (independent of sentence-transformers)
def mnrl_plain(a, docs, scale, symmetric):
    au, du = F.normalize(a, dim=1), F.normalize(torch.cat(docs), dim=1)
    n = a.shape[0]
    fwd = F.cross_entropy(scale * au @ du.T, torch.arange(n))
    if not symmetric:
        return fwd
    bwd = F.cross_entropy(scale * du[:n] @ au.T, torch.arange(n))
    return 0.5 * (fwd + bwd)


def cosent_plain(a, b, y, scale):
    s = scale * F.cosine_similarity(a, b)
    terms = [torch.zeros(()) + 0 * s.sum()]
    for i in range(len(y)):
        for j in range(len(y)):
            if y[i] < y[j]:
                terms.append(s[i] - s[j])
    return torch.logsumexp(torch.stack(terms), 0)


def contrastive_plain(a, b, y, margin):
    dist = 1 - F.cosine_similarity(a, b)
    y = torch.tensor(y)
    return (0.5 * (y * dist**2 + (1 - y) * F.relu(margin - dist) ** 2)).mean()


def st_mnrl(scale, symmetric):
    if symmetric:
        return MultipleNegativesRankingLoss(None, scale=scale, directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction")
    return MultipleNegativesRankingLoss(None, scale=scale)


def run(loss_st, loss_plain, tensors, dims=None, weights=None):
    """Loss and gradients of the sentence-transformers class (Matryoshka: shrink + weighted sum, as
    MatryoshkaLoss does), checked against the plain transcription."""
    def total(fn, xs):
        if dims is None:
            return fn(xs)
        return sum(w * fn([shrink(x, dm) for x in xs]) for dm, w in zip(dims, weights))

    out = []
    for fn in (loss_st, loss_plain):
        xs = [t(x) for x in tensors]
        v = total(fn, xs)
        if v.requires_grad:
            g = torch.autograd.grad(v, xs, allow_unused=True)
            g = [torch.zeros_like(x) if gi is None else gi for gi, x in zip(g, xs)]
        else:  # no pair to compare: the loss is a constant
            g = [torch.zeros_like(x) for x in xs]
        out.append((float(v.detach()), [gi.detach().numpy() for gi in g]))
    (ls, gs), (lp, gp) = out
    assert abs(ls - lp) <= 1e-10 * (1 + abs(ls)), (ls, lp)
    for x, y in zip(gs, gp):
        assert np.max(np.abs(x - y)) <= 1e-10 * (1 + np.max(np.abs(x))), np.max(np.abs(x - y))
    return ls, gs


def dscale(fn_of_scale, scale, h=1e-6):
    return (fn_of_scale(scale + h) - fn_of_scale(scale - h)) / (2 * h)


cases = []
for n, h, d in [(1, 0, 3), (4, 0, 8), (5, 2, 7), (8, 1, 33), (3, 3, 1)]:
    for symmetric in (False, True):
        a = rows(n, d)
        negs = [rows(n, d) for _ in range(1 + h)]
        scale = 20.0 if n != 4 else 7.5
        st = st_mnrl(scale, symmetric)
        fn_st = lambda xs, st=st: st.compute_loss_from_embeddings(xs, None)
        fn_pl = lambda xs, scale=scale, sym=symmetric: mnrl_plain(xs[0], xs[1:], scale, sym)
        loss, grads = run(fn_st, fn_pl, [a] + negs)
        ds = dscale(lambda s: float(mnrl_plain(torch.tensor(a), [torch.tensor(x) for x in negs], s, symmetric)), scale)
        cases.append({
            "name": f"mnrl_n{n}_h{h}_d{d}{'_sym' if symmetric else ''}", "loss": "mnrl", "N": n, "H": h, "D": d,
            "scale": scale, "symmetric": symmetric,
            "inputs": {"anchor": flat(a), "positive": flat(negs[0]), "negatives": [flat(x) for x in negs[1:]]},
            "loss_value": loss, "dScale": ds,
            "grads": {"anchor": flat(grads[0]), "positive": flat(grads[1]), "negatives": [flat(g) for g in grads[2:]]},
        })

# Matryoshka around MNRL (with a hard negative) and around CoSENT
n, d, dims, weights = 6, 16, [16, 8, 3], [1.0, 0.5, 2.0]
a, p, ng = rows(n, d), rows(n, d), rows(n, d)
st = st_mnrl(20.0, False)
loss, grads = run(lambda xs: st.compute_loss_from_embeddings(xs, None), lambda xs: mnrl_plain(xs[0], xs[1:], 20.0, False), [a, p, ng], dims, weights)
cases.append({
    "name": "matryoshka_mnrl_n6_d16", "loss": "mnrl", "N": n, "H": 1, "D": d, "scale": 20.0, "symmetric": False,
    "matryoshka": {"dims": dims, "weights": weights},
    "inputs": {"anchor": flat(a), "positive": flat(p), "negatives": [flat(ng)]}, "loss_value": loss,
    "grads": {"anchor": flat(grads[0]), "positive": flat(grads[1]), "negatives": [flat(grads[2])]},
})

for n, d, labels, tag in [
    (1, 4, [0.3], "single"),
    (5, 6, [0.5] * 5, "all_tied"),
    (7, 9, [0.0, 1.0, 1.0, 0.0, 0.5, 1.0, 0.2], "ties"),
    (9, 32, [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0], "graded"),
]:
    a, b = rows(n, d), rows(n, d)
    st = CoSENTLoss(None, scale=20.0)
    y = torch.tensor(labels)
    loss, grads = run(lambda xs: st.compute_loss_from_embeddings(xs, y), lambda xs: cosent_plain(xs[0], xs[1], labels, 20.0), [a, b])
    ds = dscale(lambda s: float(cosent_plain(torch.tensor(a), torch.tensor(b), labels, s)), 20.0)
    cases.append({
        "name": f"cosent_{tag}_n{n}_d{d}", "loss": "cosent", "N": n, "D": d, "scale": 20.0, "labels": labels,
        "inputs": {"a": flat(a), "b": flat(b)}, "loss_value": loss, "dScale": ds,
        "grads": {"a": flat(grads[0]), "b": flat(grads[1])},
    })

n, d, dims, weights = 8, 12, [12, 6, 2], [1.0, 1.0, 1.0]
labels = [0.1, 0.9, 0.4, 0.4, 0.0, 1.0, 0.7, 0.4]
a, b = rows(n, d), rows(n, d)
st = CoSENTLoss(None, scale=20.0)
y = torch.tensor(labels)
loss, grads = run(lambda xs: st.compute_loss_from_embeddings(xs, y), lambda xs: cosent_plain(xs[0], xs[1], labels, 20.0), [a, b], dims, weights)
cases.append({
    "name": "matryoshka_cosent_n8_d12", "loss": "cosent", "N": n, "D": d, "scale": 20.0, "labels": labels,
    "matryoshka": {"dims": dims, "weights": weights},
    "inputs": {"a": flat(a), "b": flat(b)}, "loss_value": loss, "grads": {"a": flat(grads[0]), "b": flat(grads[1])},
})

for n, d, margin in [(6, 5, 0.5), (10, 24, 1.0), (1, 3, 0.5)]:
    labels = [float(v) for v in rng.integers(0, 2, size=n)]
    a, b = rows(n, d), rows(n, d)
    st = ContrastiveLoss(None, margin=margin)
    y = torch.tensor(labels)
    loss, grads = run(lambda xs: st.compute_loss_from_embeddings(xs, y), lambda xs: contrastive_plain(xs[0], xs[1], labels, margin), [a, b])
    cases.append({
        "name": f"contrastive_n{n}_d{d}_m{margin}", "loss": "contrastive", "N": n, "D": d, "margin": margin, "labels": labels,
        "inputs": {"a": flat(a), "b": flat(b)}, "loss_value": loss, "grads": {"a": flat(grads[0]), "b": flat(grads[1])},
    })

meta = {"generator": "test/reference/sentence/gen_sentence.py", "torch": torch.__version__,
        "sentence_transformers": sentence_transformers.__version__, "dtype": "float64", "seed": 19}
with open(os.path.join(HERE, "losses.json"), "w") as f:
    json.dump({"meta": meta, "cases": cases}, f)
print(f"{len(cases)} cases -> losses.json")

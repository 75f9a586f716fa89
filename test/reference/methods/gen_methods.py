"""Reference fixtures for the self-supervised and metric-learning losses (methods.*.json).

Every value comes from the reference implementations themselves, run in float64 with autograd:
lightly (DCLLoss, DCLWLoss, NegativeCosineSimilarity, BarlowTwinsLoss, VICRegLoss),
pytorch-metric-learning (TripletMarginLoss with TripletMarginMiner / BatchHardMiner,
MultiSimilarityLoss with MultiSimilarityMiner) and sentence-transformers (BatchAllTripletLoss,
BatchHardTripletLoss, BatchSemiHardTripletLoss). Each metric-learning case is also recomputed
from its written definition in plain torch (the `spec_*` functions below) and must agree.

Run with a Python that has torch 2.x, lightly, pytorch-metric-learning and sentence-transformers:
    python3 test/reference/methods/gen_methods.py          # writes test/reference/methods/*.json
Inputs are float32-representable, so the float32 kernels see exactly the fixture's inputs.
"""
import json
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
import lightly.loss as LL  # noqa: E402
import pytorch_metric_learning.distances as PD  # noqa: E402
import pytorch_metric_learning.losses as PL  # noqa: E402
import pytorch_metric_learning.miners as PM  # noqa: E402
import pytorch_metric_learning.reducers as PR  # noqa: E402
from sentence_transformers.sentence_transformer import losses as SL  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261204)


def f32(shape, scale=1.0):
    return torch.tensor(rng.standard_normal(shape).astype(np.float32) * np.float32(scale), dtype=torch.float64)


def lst(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def close(a, b, what):
    if abs(float(a) - float(b)) > 1e-9 * (1 + abs(float(b))):
        sys.exit(f"{what}: {float(a)} != {float(b)}")


# ---------------------------------------------------------------- two-view losses (lightly)

def two_view(name, loss, fn, a, b, params, tau=None):
    a = a.clone().requires_grad_(True)
    b = b.clone().requires_grad_(True)
    t = torch.tensor(tau, requires_grad=True) if tau is not None else None
    value = fn(a, b, t)
    value.backward()
    case = {"name": name, "loss": loss, "n": a.shape[0], "d": a.shape[1], "params": params,
            "inputs": {"a": lst(a), "b": lst(b)}, "loss_value": float(value),
            "grads": {"a": lst(a.grad), "b": lst(b.grad)}}
    if t is not None:
        case["dTemperature"] = float(t.grad)
    return case


def dcl_fn(tau_val, sigma=None):
    def fn(a, b, t):
        m = LL.DCLWLoss(temperature=tau_val, sigma=sigma) if sigma else LL.DCLLoss(temperature=tau_val)
        m.temperature = t
        return m(a, b)
    return fn


def constant_dim(x, j, v=0.7):
    x = x.clone()
    x[:, j] = torch.tensor(np.float32(v), dtype=torch.float64)
    return x


def two_view_cases():
    cases = []
    for n, d in [(2, 3), (8, 5), (16, 17)]:
        a, b = f32((n, d)), f32((n, d))
        for tau in [0.1, 0.5]:
            cases.append(two_view(f"dcl_n{n}_d{d}_tau{tau}", "dcl", dcl_fn(tau), a, b, {"temperature": tau}, tau))
            cases.append(two_view(f"dclw_n{n}_d{d}_tau{tau}", "dclw", dcl_fn(tau, 0.5), a, b, {"temperature": tau, "sigma": 0.5}, tau))
        cases.append(two_view(f"negcos_n{n}_d{d}", "negcos", lambda x, y, _: LL.NegativeCosineSimilarity()(x, y), a, b, {}))
        for lam in [5e-3, 0.1]:
            cases.append(two_view(f"barlow_n{n}_d{d}_l{lam}", "barlowtwins", lambda x, y, _, lam=lam: LL.BarlowTwinsLoss(lambda_param=lam)(x, y), a, b, {"lambda": lam}))
        # small scale: stds below 1, so VICReg's variance hinge is active
        sa, sb = a * 0.25, b * 0.25
        cases.append(two_view(f"vicreg_n{n}_d{d}", "vicreg", lambda x, y, _: LL.VICRegLoss()(x, y), sa, sb, {"lambda": 25, "mu": 25, "nu": 1, "eps": 1e-4}))
        cases.append(two_view(f"vicreg_n{n}_d{d}_w", "vicreg", lambda x, y, _: LL.VICRegLoss(lambda_param=5, mu_param=2, nu_param=3, eps=1e-3)(x, y), a, b, {"lambda": 5, "mu": 2, "nu": 3, "eps": 1e-3}))
    # a constant embedding dimension (both views, and one view only)
    a, b = f32((6, 4)), f32((6, 4))
    cases.append(two_view("barlow_constant_dim", "barlowtwins", lambda x, y, _: LL.BarlowTwinsLoss()(x, y), constant_dim(a, 1), constant_dim(b, 1, -0.3), {"lambda": 5e-3}))
    cases.append(two_view("barlow_constant_dim_one_view", "barlowtwins", lambda x, y, _: LL.BarlowTwinsLoss()(x, y), constant_dim(a, 2), b, {"lambda": 5e-3}))
    cases.append(two_view("vicreg_constant_dim", "vicreg", lambda x, y, _: LL.VICRegLoss()(x, y), constant_dim(a * 0.25, 1), constant_dim(b * 0.25, 1), {"lambda": 25, "mu": 25, "nu": 1, "eps": 1e-4}))
    return cases


# ---------------------------------------------------------------- metric learning (PML, ST)

def dist_matrix(z, metric, normalize):
    x = torch.nn.functional.normalize(z, dim=1) if (normalize or metric == "cosine") else z
    if metric == "cosine":
        return 1 - x @ x.T
    diff = x[:, None, :] - x[None, :, :]
    sq = (diff ** 2).sum(-1)
    eye = torch.eye(len(z), dtype=torch.bool)
    return torch.where(eye, torch.zeros_like(sq), torch.sqrt(torch.where(eye, torch.ones_like(sq), sq)))


def spec_triplet(z, labels, o):
    """The triplet loss from its definition (loss/triplet.rs), by loops."""
    m = dist_matrix(z, o["metric"], o["normalize"])
    n = len(labels)
    trip = []
    for a in range(n):
        pos = [p for p in range(n) if p != a and labels[p] == labels[a]]
        neg = [k for k in range(n) if labels[k] != labels[a]]
        if o["mining"] in ("all", "hard", "semihard", "easy"):
            for p in pos:
                for k in neg:
                    t = float(m[a, k] - m[a, p])
                    keep = {"all": True, "hard": t <= o["minerMargin"] and t <= 0,
                            "semihard": 0 < t <= o["minerMargin"], "easy": t > o["minerMargin"]}[o["mining"]]
                    if keep:
                        trip.append((a, p, k))
        elif o["mining"] == "batchHard":
            if pos and neg:
                trip.append((a, max(pos, key=lambda p: float(m[a, p])), min(neg, key=lambda k: float(m[a, k]))))
        else:  # batchSemiHard
            for p in pos:
                far = [k for k in neg if float(m[a, k]) > float(m[a, p])]
                if far:
                    trip.append((a, p, min(far, key=lambda k: float(m[a, k]))))
                elif neg:
                    trip.append((a, p, max(neg, key=lambda k: float(m[a, k]))))
    if not trip:
        return (z * 0).sum()
    ls = torch.stack([torch.relu(m[a, p] - m[a, k] + o["margin"]) for a, p, k in trip])
    if o["reduction"] == "mean":
        return ls.sum() / len(ls)
    nz = ls[ls > 0]
    return nz.mean() if len(nz) else (z * 0).sum()


def pml_triplet(z, labels, o):
    dist = PD.CosineSimilarity() if o["metric"] == "cosine" else PD.LpDistance(normalize_embeddings=o["normalize"], p=2)
    reducer = PR.MeanReducer() if o["reduction"] == "mean" else PR.AvgNonZeroReducer()
    loss = PL.TripletMarginLoss(margin=o["margin"], distance=dist, reducer=reducer)
    y = torch.tensor(labels)
    if o["mining"] == "all":
        return loss(z, y)
    if o["mining"] == "batchHard":
        miner = PM.BatchHardMiner(distance=dist)
    else:
        miner = PM.TripletMarginMiner(margin=o["minerMargin"], type_of_triplets=o["mining"], distance=dist)
    return loss(z, y, miner(z, y))


def st_triplet(z, labels, o):
    y = torch.tensor(labels)
    if o["mining"] == "all":
        return SL.BatchAllTripletLoss(model=None, margin=o["margin"]).batch_all_triplet_loss(y, z)
    if o["mining"] == "batchHard":
        return SL.BatchHardTripletLoss(model=None, margin=o["margin"]).batch_hard_triplet_loss(y, z)
    return SL.BatchSemiHardTripletLoss(model=None, margin=o["margin"]).batch_semi_hard_triplet_loss(y, z)


def labeled(name, loss, z, labels, params, fns):
    values = []
    grads = []
    for fn in fns:
        x = z.clone().requires_grad_(True)
        v = fn(x, labels, params)
        v.backward() if v.requires_grad else None
        values.append(v)
        grads.append(x.grad if x.grad is not None else torch.zeros_like(x))
    for v, g, fn in zip(values[1:], grads[1:], fns[1:]):
        close(v, values[0], f"{name}: {fn.__name__} loss")
        for p, q in zip(lst(g), lst(grads[0])):
            close(p, q, f"{name}: {fn.__name__} grad")
    return {"name": name, "loss": loss, "rows": z.shape[0], "d": z.shape[1], "params": params, "labels": labels,
            "checked_against": [fn.__name__ for fn in fns],
            "inputs": {"z": lst(z)}, "loss_value": float(values[0]), "grads": {"z": lst(grads[0])}}


def triplet_cases():
    cases = []
    groups = {"l8": [0, 1, 0, 2, 1, 0, 2, 1], "l12": [3, 3, 1, 1, 2, 2, 0, 0, 3, 1, 2, 0]}
    for lname, labels in groups.items():
        z = f32((len(labels), 6))
        for metric, normalize in [("euclidean", True), ("euclidean", False), ("cosine", True)]:
            for mining in ["all", "hard", "semihard", "easy", "batchHard"]:
                for reduction in ["meanNonZero", "mean"]:
                    o = {"margin": 0.1 if normalize else 1.0, "metric": metric, "normalize": normalize, "mining": mining,
                         "minerMargin": 0.2 if normalize else 2.0, "reduction": reduction}
                    cases.append(labeled(f"triplet_{lname}_{metric}{'_norm' if normalize else ''}_{mining}_{reduction}", "triplet",
                                         z, labels, o, [pml_triplet, spec_triplet]))
        # sentence-transformers' batch losses: raw Euclidean (their default), every row has a positive and a negative
        for mining, reduction in [("all", "meanNonZero"), ("batchHard", "mean"), ("batchSemiHard", "mean")]:
            o = {"margin": 5.0 if mining != "batchSemiHard" else 1.0, "metric": "euclidean", "normalize": False,
                 "mining": mining, "minerMargin": 0.0, "reduction": reduction}
            cases.append(labeled(f"triplet_st_{lname}_{mining}", "triplet", z, labels, o, [st_triplet, spec_triplet]))
    # batch of 2 with a positive pair (no negative: no triplet) and with two classes (no positive: no triplet)
    for labels in ([5, 5], [1, 2], [4, 4, 4, 4, 4]):
        z = f32((len(labels), 3))
        for mining in ["all", "batchHard", "semihard"]:
            o = {"margin": 0.1, "metric": "euclidean", "normalize": True, "mining": mining, "minerMargin": 0.2, "reduction": "meanNonZero"}
            cases.append(labeled(f"triplet_no_triplet_{len(labels)}_{labels[0]}{labels[1]}_{mining}", "triplet", z, labels, o, [pml_triplet, spec_triplet]))
    # a margin so small that every mined triplet is inactive: loss 0, zero gradient
    z = f32((8, 4))
    o = {"margin": -5.0, "metric": "euclidean", "normalize": True, "mining": "all", "minerMargin": 0.2, "reduction": "meanNonZero"}
    cases.append(labeled("triplet_all_inactive", "triplet", z, groups["l8"], o, [pml_triplet, spec_triplet]))
    return cases


def spec_multisim(z, labels, o):
    x = torch.nn.functional.normalize(z, dim=1)
    s = x @ x.T
    n = len(labels)
    y = torch.tensor(labels)
    same = (y[:, None] == y[None, :]) & ~torch.eye(n, dtype=torch.bool)
    diff = y[:, None] != y[None, :]
    pos, neg = same.clone(), diff.clone()
    if o["epsilon"] is not None:
        inf = torch.tensor(float("inf"))
        max_neg = torch.where(diff, s, -inf).max(1).values
        min_pos = torch.where(same, s, inf).min(1).values
        pos = same & (s - o["epsilon"] < max_neg[:, None])
        neg = diff & (s + o["epsilon"] > min_pos[:, None])
    total = (z * 0).sum()
    for i in range(n):
        tp = o["alpha"] * (o["base"] - s[i][pos[i]])
        tn = o["beta"] * (s[i][neg[i]] - o["base"])
        zero = torch.zeros(1)
        total = total + torch.logsumexp(torch.cat([zero, tp]), 0) / o["alpha"] + torch.logsumexp(torch.cat([zero, tn]), 0) / o["beta"]
    return total / n


def pml_multisim(z, labels, o):
    loss = PL.MultiSimilarityLoss(alpha=o["alpha"], beta=o["beta"], base=o["base"])
    y = torch.tensor(labels)
    if o["epsilon"] is None:
        return loss(z, y)
    return loss(z, y, PM.MultiSimilarityMiner(epsilon=o["epsilon"])(z, y))


def multisim_cases():
    cases = []
    for labels in ([0, 1, 0, 2, 1, 0, 2, 1], [3, 3, 1, 1, 2, 2, 0, 0, 3, 1, 2, 0], [0, 1], [6, 6], [2, 2, 2, 2]):
        z = f32((len(labels), 5))
        for eps in [None, 0.1, 1.0]:
            for alpha, beta, base in [(2, 50, 0.5), (1, 10, 0.0)]:
                o = {"alpha": alpha, "beta": beta, "base": base, "epsilon": eps}
                cases.append(labeled(f"multisim_{len(labels)}_{''.join(map(str, labels[:3]))}_eps{eps}_a{alpha}", "multisimilarity", z, labels, o,
                                     [pml_multisim, spec_multisim]))
    return cases


if __name__ == "__main__":
    out = {"two_view": two_view_cases(), "triplet": triplet_cases(), "multisim": multisim_cases()}
    for k, v in out.items():
        with open(os.path.join(OUT, f"{k}.json"), "w") as f:
            json.dump(v, f, separators=(",", ":"))
        print(k, len(v), "cases")

"""Reference cases for the text layers: PyTorch float64 truth on float32-representable inputs.

Run: python3 test/reference/text/gen_text.py   (torch >= 1.13; writes the JSON files beside it)

Conventions as test/reference/layers: flat row-major arrays, `dy` a random upstream gradient,
grads.X = d(sum y * dy)/dX, every input drawn in float64 and rounded to float32.
"""
import hashlib
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261204


def rng_for(name):
    h = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    return np.random.default_rng([SEED, h])


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def t(a, grad=False):
    x = torch.tensor(np.asarray(a, dtype=np.float64))
    return x.requires_grad_(grad)


def flat(x):
    """Outputs and gradients: float64 truth to 10 significant digits (far below every tolerance).
    Inputs (float32 values) come out as the shortest decimal of their float32."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    if np.array_equal(a, a.astype(np.float32).astype(np.float64)):
        return [float(str(np.float32(v))) for v in a]
    return [float(f"{v:.10g}") for v in a]


def tol(keys, atol=2e-5, rtol=1e-4):
    return {"rtol": rtol, "atol": {k: atol for k in keys}}


def masks(b, s, rng):
    """Row 0 full, row 1 all but one masked, row 2 a random prefix, others random prefixes."""
    m = np.zeros((b, s))
    for i in range(b):
        if i == 0:
            m[i] = 1
        elif i == 1:
            m[i, s // 2] = 1
        else:
            m[i, : rng.integers(1, s + 1)] = 1
    return m


def embedding_cases():
    out = []
    for vocab, dim, b, s, pad in [(11, 8, 3, 7, 0), (100, 8, 2, 129, None), (30, 96, 2, 7, 3), (5, 1, 1, 1, 4)]:
        name = f"embedding_v{vocab}_d{dim}_b{b}_s{s}_pad{pad}"
        r = rng_for(name)
        w = f32(r.standard_normal((vocab, dim)))
        if pad is not None:
            w[pad] = 0
        ids = r.integers(0, vocab, (b, s))
        if pad is not None:
            ids[0, -1] = pad
        dy = f32(r.standard_normal((b * s, dim)))
        W = t(w, True)
        y = F.embedding(torch.tensor(ids), W, padding_idx=pad).reshape(b * s, dim)
        (y * t(dy)).sum().backward()
        out.append({
            "name": name, "op": "embedding", "params": {"num_embeddings": vocab, "embedding_dim": dim, "padding_idx": pad},
            "shapes": {"ids": [b, s], "weight": [vocab, dim], "y": [b * s, dim]},
            "inputs": {"ids": [int(v) for v in ids.reshape(-1)], "weight": flat(w)}, "dy": flat(dy),
            "outputs": {"y": flat(y)}, "grads": {"weight": flat(W.grad)},
            "tol": tol(["outputs.y", "grads.weight"], 1e-6),
        })
    return out


def sparse_optim_cases():
    """SGD (no momentum) and SparseAdam on an embedding table, 3 steps, against torch.optim."""
    out = []
    for opt in ["sgd", "sparse_adam"]:
        name = f"{opt}_embedding"
        r = rng_for(name)
        vocab, dim, b, s = 13, 6, 2, 5
        w = f32(r.standard_normal((vocab, dim)))
        w[0] = 0
        steps = []
        emb = torch.nn.Embedding(vocab, dim, padding_idx=0, sparse=(opt == "sparse_adam"))
        with torch.no_grad():
            emb.weight.copy_(t(w))
        o = torch.optim.SGD(emb.parameters(), lr=0.1) if opt == "sgd" else torch.optim.SparseAdam(emb.parameters(), lr=0.05, betas=(0.8, 0.95), eps=1e-6)
        for k in range(3):
            ids = r.integers(0, 7, (b, s))  # rows 7..12 never touched
            dy = f32(r.standard_normal((b * s, dim)))
            o.zero_grad()
            (emb(torch.tensor(ids)).reshape(b * s, dim) * t(dy)).sum().backward()
            o.step()
            steps.append({"ids": [int(v) for v in ids.reshape(-1)], "dy": flat(dy), "weight": flat(emb.weight)})
        out.append({
            "name": name, "op": opt, "params": {"num_embeddings": vocab, "embedding_dim": dim, "padding_idx": 0, "batch": b, "seq": s,
                                                "lr": 0.1 if opt == "sgd" else 0.05, "betas": [0.8, 0.95], "eps": 1e-6},
            "inputs": {"weight": flat(w)}, "steps": steps, "tol": tol(["weight"], 1e-5),
        })
    return out


def pooling_cases():
    out = []
    for b, s, d in [(3, 7, 96), (2, 1, 8), (4, 129, 8)]:
        for mode in ["cls", "mean", "max"]:
            name = f"pool_{mode}_b{b}_s{s}_d{d}"
            r = rng_for(name)
            x = f32(r.standard_normal((b, s, d)))
            m = masks(b, s, r)
            dy = f32(r.standard_normal((b, d)))
            X = t(x, True)
            me = t(m).unsqueeze(-1)
            if mode == "cls":
                y = X[:, 0]
            elif mode == "mean":
                y = (X * me).sum(1) / me.sum(1).clamp(min=1e-9)
            else:
                y = X.masked_fill(me == 0, -1e9).max(1).values
            (y * t(dy)).sum().backward()
            out.append({
                "name": name, "op": "pool", "params": {"mode": mode},
                "shapes": {"x": [b * s, d], "mask": [b, s], "y": [b, d]},
                "inputs": {"x": flat(x), "mask": flat(m)}, "dy": flat(dy),
                "outputs": {"y": flat(y)}, "grads": {"x": flat(X.grad)},
                "tol": tol(["outputs.y", "grads.x"], 1e-5),
            })
    return out


def layernorm_cases():
    out = []
    for n, d, eps, affine in [(1, 8, 1e-5, True), (7, 96, 1e-12, True), (129, 8, 1e-5, False), (5, 384, 1e-12, True), (3, 1, 1e-5, True)]:
        name = f"layernorm_n{n}_d{d}_eps{eps}_affine{affine}"
        r = rng_for(name)
        x = f32(r.standard_normal((n, d)) * 2 + 0.5)
        g = f32(r.uniform(0.5, 1.5, d))
        bt = f32(r.uniform(-0.5, 0.5, d))
        dy = f32(r.standard_normal((n, d)))
        X, G, B = t(x, True), t(g, True), t(bt, True)
        y = F.layer_norm(X, (d,), G if affine else None, B if affine else None, eps)
        (y * t(dy)).sum().backward()
        c = {
            "name": name, "op": "layer_norm", "params": {"normalized_shape": [d], "eps": eps, "elementwise_affine": affine},
            "shapes": {"x": [n, d], "y": [n, d]},
            "inputs": {"x": flat(x)}, "dy": flat(dy), "outputs": {"y": flat(y)}, "grads": {"x": flat(X.grad)},
            "tol": tol(["outputs.y", "grads.x", "grads.weight", "grads.bias"], 3e-5),
        }
        if affine:
            c["inputs"].update({"weight": flat(g), "bias": flat(bt)})
            c["grads"].update({"weight": flat(G.grad), "bias": flat(B.grad)})
        out.append(c)
    return out


def write(name, cases):
    p = os.path.join(HERE, name)
    with open(p, "w") as f:
        json.dump(cases, f, separators=(",", ":"))
    print(p, len(cases), "cases", os.path.getsize(p), "bytes")


if __name__ == "__main__":
    only = sys.argv[1:]
    groups = {
        "embedding.json": lambda: embedding_cases() + sparse_optim_cases(),
        "pooling.json": pooling_cases,
        "layernorm.json": layernorm_cases,
    }
    extra = os.path.join(HERE, "gen_attention.py")
    if os.path.exists(extra):
        sys.path.insert(0, HERE)
        import gen_attention  # noqa: E402

        groups.update(gen_attention.groups(globals()))
    for k, fn in groups.items():
        if not only or k in only:
            write(k, fn())
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump({"seed": SEED, "torch": torch.__version__, "numpy": np.__version__}, f, indent=1)

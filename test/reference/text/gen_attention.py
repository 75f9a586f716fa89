"""Attention, encoder-layer and tiny-BERT reference cases (imported by gen_text.py).

The attention truth is written out in float64 torch (scores + (1 - mask) * finfo.min, softmax,
as Hugging Face's eager BertSelfAttention); the tiny BERT is transformers.BertModel itself in
float64, its weights saved as tiny_bert/model.safetensors + config.json (Hugging Face names).
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F


def groups(g):
    rng_for, f32, t, flat, tol, masks = g["rng_for"], g["f32"], g["t"], g["flat"], g["tol"], g["masks"]
    HERE = g["HERE"]

    def lin(r, out, inp, scale=1.0):
        b = 1 / math.sqrt(inp)
        return f32(r.uniform(-b, b, (out, inp)) * scale), f32(r.uniform(-b, b, out) * scale)

    def mhsa(x, W, mask, heads):
        n, h = x.shape[-2], x.shape[-1]
        b = mask.shape[0]
        s = mask.shape[1]
        dh = h // heads
        def proj(k):
            return (x @ W[k + ".weight"].T + W[k + ".bias"]).reshape(b, s, heads, dh).transpose(1, 2)
        q, k, v = proj("query"), proj("key"), proj("value")
        sc = q @ k.transpose(-1, -2) / math.sqrt(dh)
        sc = sc + (1 - mask)[:, None, None, :] * torch.finfo(torch.float64).min
        p = sc.softmax(-1)
        return (p @ v).transpose(1, 2).reshape(b * s, h)

    def attention_cases():
        out = []
        for b, s, h, heads in [(3, 7, 8, 1), (3, 7, 96, 4), (2, 1, 8, 4), (2, 129, 8, 4), (2, 5, 96, 1)]:
            name = f"attention_b{b}_s{s}_h{h}_heads{heads}"
            r = rng_for(name)
            x = f32(r.standard_normal((b * s, h)))
            m = masks(b, s, r)
            W = {}
            for k in ["query", "key", "value"]:
                w, bb = lin(r, h, h, 2.0)
                W[k + ".weight"], W[k + ".bias"] = t(w, True), t(bb, True)
            dy = f32(r.standard_normal((b * s, h)))
            X = t(x, True)
            y = mhsa(X, W, t(m), heads)
            (y * t(dy)).sum().backward()
            out.append({
                "name": name, "op": "self_attention", "params": {"hidden": h, "heads": heads},
                "shapes": {"x": [b * s, h], "mask": [b, s]},
                "inputs": {"x": flat(x), "mask": flat(m), **{k: flat(v) for k, v in W.items()}}, "dy": flat(dy),
                "outputs": {"y": flat(y)}, "grads": {"x": flat(X.grad), **{k: flat(v.grad) for k, v in W.items()}},
                "tol": tol(["outputs.y", "grads.x"] + [f"grads.{k}" for k in W], 5e-5),
            })
        return out

    def layer_cases():
        out = []
        for norm, b, s, h, heads, inter in [("post", 3, 7, 32, 4, 37), ("pre", 3, 7, 32, 4, 37), ("post", 2, 129, 8, 1, 16), ("pre", 2, 1, 8, 4, 16)]:
            name = f"encoder_layer_{norm}_b{b}_s{s}_h{h}_heads{heads}"
            r = rng_for(name)
            x = f32(r.standard_normal((b * s, h)))
            m = masks(b, s, r)
            W = {}
            for k, (o, i) in {"attention.self.query": (h, h), "attention.self.key": (h, h), "attention.self.value": (h, h),
                              "attention.output.dense": (h, h), "intermediate.dense": (inter, h), "output.dense": (h, inter)}.items():
                w, bb = lin(r, o, i, 1.5)
                W[k + ".weight"], W[k + ".bias"] = t(w, True), t(bb, True)
            for k in ["attention.output.LayerNorm", "output.LayerNorm"]:
                W[k + ".weight"], W[k + ".bias"] = t(f32(r.uniform(0.5, 1.5, h)), True), t(f32(r.uniform(-0.5, 0.5, h)), True)
            dy = f32(r.standard_normal((b * s, h)))
            X = t(x, True)
            M = t(m)
            att = {k.split(".")[-1]: None for k in []}
            A = {k[len("attention.self."):]: v for k, v in W.items() if k.startswith("attention.self.")}
            def L(k, v):
                return v @ W[k + ".weight"].T + W[k + ".bias"]
            def N(k, v):
                return F.layer_norm(v, (h,), W[k + ".weight"], W[k + ".bias"], 1e-12)
            if norm == "post":
                hh = N("attention.output.LayerNorm", X + L("attention.output.dense", mhsa(X, A, M, heads)))
                y = N("output.LayerNorm", hh + L("output.dense", F.gelu(L("intermediate.dense", hh))))
            else:
                hh = X + L("attention.output.dense", mhsa(N("attention.output.LayerNorm", X), A, M, heads))
                y = hh + L("output.dense", F.gelu(L("intermediate.dense", N("output.LayerNorm", hh))))
            (y * t(dy)).sum().backward()
            out.append({
                "name": name, "op": "encoder_layer", "params": {"hidden": h, "heads": heads, "intermediate": inter, "norm": norm, "eps": 1e-12},
                "shapes": {"x": [b * s, h], "mask": [b, s]},
                "inputs": {"x": flat(x), "mask": flat(m)}, "weights": {k: flat(v) for k, v in W.items()}, "dy": flat(dy),
                "outputs": {"y": flat(y)}, "grads": {"x": flat(X.grad), **{k: flat(v.grad) for k, v in W.items()}},
                "tol": tol(["outputs.y", "grads.x"] + [f"grads.{k}" for k in W], 1e-4),
            })
        return out

    def tiny_bert():
        import transformers
        from safetensors.torch import save_file

        name = "tiny_bert"
        r = rng_for(name)
        cfg = transformers.BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                                      max_position_embeddings=40, type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12,
                                      hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, pad_token_id=0)
        cfg._attn_implementation = "eager"
        torch.manual_seed(0)
        model = transformers.BertModel(cfg, add_pooling_layer=True).double().eval()
        with torch.no_grad():
            for k, p in model.named_parameters():
                if "LayerNorm.weight" in k:
                    p.copy_(t(f32(r.uniform(0.5, 1.5, p.shape))))
                elif "LayerNorm.bias" in k:
                    p.copy_(t(f32(r.uniform(-0.5, 0.5, p.shape))))
                else:
                    p.copy_(t(f32(r.standard_normal(p.shape) * (0.4 if p.dim() == 2 else 0.1))))
        b, s = 3, 9
        ids = r.integers(1, 100, (b, s))
        m = masks(b, s, r)
        ids[m == 0] = 0
        types = np.zeros((b, s), dtype=np.int64)
        types[0, 5:] = 1
        out = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(m, dtype=torch.long), token_type_ids=torch.tensor(types))
        hs = out.last_hidden_state
        me = t(m).unsqueeze(-1)
        pooled = (hs * me).sum(1) / me.sum(1).clamp(min=1e-9)
        dy = f32(r.standard_normal((b, 32)))
        (pooled * t(dy)).sum().backward()
        d = os.path.join(HERE, "tiny_bert")
        os.makedirs(d, exist_ok=True)
        sd = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
        save_file(sd, os.path.join(d, "model.safetensors"))
        with open(os.path.join(d, "config.json"), "w") as f:
            j = cfg.to_dict()
            json.dump({k: j[k] for k in ["architectures", "model_type", "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                                         "intermediate_size", "max_position_embeddings", "type_vocab_size", "hidden_act", "layer_norm_eps",
                                         "hidden_dropout_prob", "attention_probs_dropout_prob", "pad_token_id"] if k in j}, f, indent=1)
        grads = {k: flat(p.grad) for k, p in model.named_parameters() if not k.startswith("pooler")}
        return [{
            "name": name, "op": "bert", "params": {"batch": b, "seq": s},
            "inputs": {"ids": [int(v) for v in ids.reshape(-1)], "mask": flat(m), "token_type_ids": [int(v) for v in types.reshape(-1)]},
            "dy": flat(dy), "outputs": {"last_hidden_state": flat(hs), "mean_pooled": flat(pooled)}, "grads": grads,
            "tol": tol(["outputs.last_hidden_state", "outputs.mean_pooled"] + [f"grads.{k}" for k in grads], 1e-4),
        }]

    return {"attention.json": attention_cases, "encoder_layer.json": layer_cases, "tiny_bert.json": tiny_bert}

"""Continue in PyTorch what you trained with the contrastive JavaScript library.

A model file written by ``saveModel`` (JavaScript) or ``contrastive train`` is a safetensors file
whose tensors are the state_dict under PyTorch names and whose metadata key ``contrastive.spec``
holds the architecture. This module rebuilds that architecture as a ``torch.nn.Module``, loads the
weights, trains on (with DistributedDataParallel across processes or machines, gloo on CPU or
nccl on GPUs), and writes a file the JavaScript library loads back with ``loadModel``.

Needs only torch (and numpy for ``.npy`` data); the ``safetensors`` package is not required.
Text encoders rebuild too: the static embedding model (EmbeddingBag) and BERT-family encoders
(BertModel, SentenceTransformer with its pooling and normalization) take
``model(input_ids, attention_mask=None, token_type_ids=None)``.

    import contrastive_torch as ct
    model, meta = ct.load_model("encoder.safetensors")      # a torch.nn.Module
    ct.save_model("encoder-2.safetensors", model, meta)     # loadModel() reads it

From the shell, two processes on this machine, SimCLR with negatives gathered across processes:

    python contrastive_torch.py train --model encoder.safetensors --data x.npy \
        --out encoder-ddp.safetensors --world-size 2 --steps 100
"""
from __future__ import annotations

import argparse
import json
import math
import os
import struct
import sys
from typing import Dict, List, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

SPEC_KEY = "contrastive.spec"
FORMAT_KEY = "contrastive.format"
_DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "I64": (torch.int64, 8), "I32": (torch.int32, 4), "F16": (torch.float16, 2)}


# ---- safetensors (huggingface/safetensors format: u64 header length, JSON header, data) ----

def read_safetensors(path: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """Tensors and metadata of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    data = raw[8 + n :]
    out: Dict[str, torch.Tensor] = {}
    for name, e in header.items():
        dtype, size = _DTYPES[e["dtype"]]
        b, end = e["data_offsets"]
        buf = bytearray(data[b:end])
        t = torch.frombuffer(buf, dtype=dtype) if end > b else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(e["shape"]).clone()
    return out, meta


def write_safetensors(path: str, tensors: Dict[str, torch.Tensor], metadata: Dict[str, str]) -> None:
    """Writes float tensors as F32 and integer ones as I64, atomically (temporary file, then rename)."""
    header: Dict[str, object] = {"__metadata__": dict(metadata)}
    chunks: List[bytes] = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.is_floating_point():
            t, dtype = t.to(torch.float32), "F32"
        else:
            t, dtype = t.to(torch.int64), "I64"
        b = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    h = json.dumps(header).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ---- the layers the JavaScript library has, under the same names ----

class L2Normalize(nn.Module):
    """y = x / max(||x||, 1e-12) per row (F.normalize)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(x, p=2.0, dim=1, eps=1e-12)


def _pair(v) -> Tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (list, tuple)) else (int(v), int(v))


# ---- text encoders: the same state_dict names as the library's (Hugging Face's for BERT) ----

_NEG = -1e9


def _act(name: str) -> nn.Module:
    if name == "gelu":
        return nn.GELU()
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return nn.GELU(approximate="tanh")
    if name == "relu":
        return nn.ReLU()
    raise ValueError(f"contrastive_torch: activation {name!r} is not known here")


class _Names(nn.Module):
    """Only names its children (state_dict paths such as attention.output.dense)."""

    def __init__(this, **mods: nn.Module) -> None:  # noqa: N805 (a child may be named "self", as BERT's is)
        super().__init__()
        for k, m in mods.items():
            this.add_module(k, m)


def _mask(mask: torch.Tensor | None, b: int, s: int, like: torch.Tensor) -> torch.Tensor:
    return torch.ones(b, s, dtype=like.dtype, device=like.device) if mask is None else (mask != 0).to(like.dtype)


def pool_tokens(x: torch.Tensor, m: torch.Tensor, mode: str) -> torch.Tensor:
    """Token embeddings [B, S, D] and a 0/1 mask [B, S] -> [B, D] (sentence-transformers' Pooling; a fully masked row gives 0)."""
    if mode == "cls":
        return x[:, 0]
    m3 = m.unsqueeze(-1)
    if mode == "mean":
        return (x * m3).sum(1) / m3.sum(1).clamp(min=1e-9)
    y = x.masked_fill(m3 == 0, float("-inf")).max(1).values
    return torch.where(m3.sum(1) > 0, y, torch.zeros_like(y))


class Embedding(nn.Embedding):
    """nn.Embedding; forward(ids [B, S]) -> [B, S, D]."""

    takes_ids = True


class EmbeddingBag(nn.Module):
    """The static embedding model: the mean (or max) of a text's token vectors, padding ids and masked positions left out."""

    takes_ids = True

    def __init__(self, num: int, dim: int, padding_idx: int | None, mode: str) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(num, dim))
        self.padding_idx, self.mode = padding_idx, mode

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, token_type_ids=None) -> torch.Tensor:
        x = F.embedding(input_ids, self.weight)
        m = _mask(attention_mask, *input_ids.shape, x)
        if self.padding_idx is not None:
            m = m * (input_ids != self.padding_idx).to(x.dtype)
        return pool_tokens(x, m, self.mode)


class SelfAttention(nn.Module):
    """BERT's attention.self: softmax(q k^T / sqrt(d_head)) v per head, padded keys left out."""

    def __init__(self, hidden: int, heads: int, bias: bool = True, dropout: float = 0.0) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.query, self.key, self.value = (nn.Linear(hidden, hidden, bias=bias) for _ in range(3))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        b, s, h = x.shape
        split = lambda t: t.view(b, s, self.heads, self.head_dim).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        m = _mask(attention_mask, b, s, x)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + (1 - m)[:, None, None, :] * _NEG
        ctx = self.dropout(scores.softmax(-1)) @ v
        return ctx.transpose(1, 2).reshape(b, s, h)


class EncoderLayer(nn.Module):
    """A BERT layer (post-LN, as Hugging Face's BertLayer) or its pre-LN variant, under BertLayer's names."""

    def __init__(self, o: dict) -> None:
        super().__init__()
        h, inter, eps, p = o["hidden"], o["intermediate"], o.get("eps", 1e-12), o.get("dropout", 0.1)
        self.norm = o.get("norm", "post")
        self.attention = _Names(
            self=SelfAttention(h, o["heads"], True, o.get("attentionDropout", 0.0)),
            output=_Names(dense=nn.Linear(h, h), LayerNorm=nn.LayerNorm(h, eps=eps), dropout=nn.Dropout(p)),
        )
        self.intermediate = _Names(dense=nn.Linear(h, inter), act=_act(o.get("activation", "gelu")))
        self.output = _Names(dense=nn.Linear(inter, h), LayerNorm=nn.LayerNorm(h, eps=eps), dropout=nn.Dropout(p))

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        at, it, out = self.attention, self.intermediate, self.output
        attn = lambda v: at.output.dropout(at.output.dense(getattr(at, "self")(v, attention_mask)))  # noqa: E731
        ffn = lambda v: out.dropout(out.dense(it.act(it.dense(v))))  # noqa: E731
        if self.norm == "post":
            h = at.output.LayerNorm(attn(x) + x)
            return out.LayerNorm(ffn(h) + h)
        h = x + attn(at.output.LayerNorm(x))
        return h + ffn(out.LayerNorm(h))


class BertModel(nn.Module):
    """A BERT-family encoder from the library's spec (a Hugging Face config); forward -> last hidden state [B, S, H]."""

    takes_ids = True

    def __init__(self, c: dict) -> None:
        super().__init__()
        h, eps, p = c["hidden_size"], c.get("layer_norm_eps", 1e-12), c.get("hidden_dropout_prob", 0.1)
        self.embeddings = _Names(
            word_embeddings=nn.Embedding(c["vocab_size"], h, padding_idx=c.get("pad_token_id")),
            position_embeddings=nn.Embedding(c.get("max_position_embeddings", 512), h),
            token_type_embeddings=nn.Embedding(c.get("type_vocab_size", 2), h),
            LayerNorm=nn.LayerNorm(h, eps=eps),
            dropout=nn.Dropout(p),
        )
        layer = {
            "hidden": h,
            "heads": c["num_attention_heads"],
            "intermediate": c["intermediate_size"],
            "eps": eps,
            "dropout": p,
            "attentionDropout": c.get("attention_probs_dropout_prob", p),
            "activation": c.get("hidden_act", "gelu"),
            "norm": c.get("norm", "post"),
        }
        self.encoder = _Names(layer=nn.ModuleList([EncoderLayer(layer) for _ in range(c["num_hidden_layers"])]))
        if c.get("add_pooling_layer"):
            self.pooler = _Names(dense=nn.Linear(h, h))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        e = self.embeddings
        b, s = input_ids.shape
        types = torch.zeros_like(input_ids) if token_type_ids is None else token_type_ids
        pos = torch.arange(s, device=input_ids.device).expand(b, s)
        x = e.dropout(e.LayerNorm(e.word_embeddings(input_ids) + e.position_embeddings(pos) + e.token_type_embeddings(types)))
        for l in self.encoder.layer:
            x = l(x, attention_mask)
        return x


class SentenceTransformer(BertModel):
    """A BertModel (its state_dict names, unprefixed), token pooling and optional L2 normalization -> [B, H]."""

    def __init__(self, config: dict, pooling: str, normalize: bool) -> None:
        super().__init__(config)
        self.pooling, self.normalize = pooling, normalize

    def forward(self, input_ids, attention_mask=None, token_type_ids=None) -> torch.Tensor:
        h = super().forward(input_ids, attention_mask, token_type_ids)
        y = pool_tokens(h, _mask(attention_mask, *input_ids.shape, h), self.pooling)
        return F.normalize(y, p=2.0, dim=-1, eps=1e-12) if self.normalize else y


class TokenPooling(nn.Module):
    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        return pool_tokens(x, _mask(attention_mask, x.shape[0], x.shape[1], x), self.mode)


def build(spec: dict) -> nn.Module:
    """A torch.nn.Module from a ``contrastive.spec`` architecture (initial weights)."""
    t, a = spec["type"], spec.get("args", {}) or {}
    kids = [build(c) for c in spec.get("children", []) or []] if t != "SentenceTransformer" else []
    if t == "Sequential":
        return nn.Sequential(*kids)
    if t == "Linear":
        return nn.Linear(a["inFeatures"], a["outFeatures"], bias=a.get("bias", True))
    if t == "Conv2d":
        return nn.Conv2d(a["inChannels"], a["outChannels"], _pair(a["kernelSize"]), stride=_pair(a["stride"]), padding=_pair(a["padding"]), bias=a.get("bias", True))
    if t in ("BatchNorm1d", "BatchNorm2d"):
        cls = nn.BatchNorm1d if t == "BatchNorm1d" else nn.BatchNorm2d
        return cls(a["numFeatures"], eps=a.get("eps", 1e-5), momentum=a.get("momentum", 0.1), affine=a.get("affine", True))
    if t == "ReLU":
        return nn.ReLU()
    if t == "GELU":
        return nn.GELU(approximate=a.get("approximate", "none"))
    if t == "MaxPool2d":
        return nn.MaxPool2d(_pair(a["kernelSize"]), stride=_pair(a["stride"]), padding=_pair(a["padding"]))
    if t == "AvgPool2d":
        return nn.AvgPool2d(_pair(a["kernelSize"]), stride=_pair(a["stride"]), padding=_pair(a["padding"]), count_include_pad=a.get("countIncludePad", True))
    if t == "GlobalAvgPool2d":
        return nn.AdaptiveAvgPool2d(1)
    if t == "Flatten":
        return nn.Flatten(1)
    if t == "Unflatten":
        return nn.Unflatten(1, tuple(a["shape"]))
    if t == "Dropout":
        return nn.Dropout(a.get("p", 0.5))
    if t == "L2Normalize":
        return L2Normalize()
    if t == "Embedding":
        return Embedding(a["numEmbeddings"], a["embeddingDim"], padding_idx=a.get("paddingIdx"))
    if t == "EmbeddingBag":
        return EmbeddingBag(a["numEmbeddings"], a["embeddingDim"], a.get("paddingIdx"), a.get("mode", "mean"))
    if t == "TokenPooling":
        return TokenPooling(a.get("mode", "mean"))
    if t == "LayerNorm":
        return nn.LayerNorm(a["normalizedShape"], eps=a.get("eps", 1e-5), elementwise_affine=a.get("elementwiseAffine", True))
    if t == "MultiHeadSelfAttention":
        return SelfAttention(a["hidden"], a["heads"], a.get("bias", True), a.get("dropout", 0.0))
    if t == "TransformerEncoderLayer":
        return EncoderLayer(a)
    if t == "BertModel":
        return BertModel(a["config"])
    if t == "SentenceTransformer":
        enc = (spec.get("children") or [{}])[0]
        if enc.get("type") != "BertModel":
            raise ValueError("contrastive_torch: a SentenceTransformer spec needs one BertModel child")
        return SentenceTransformer(enc["args"]["config"], a.get("pooling", "mean"), bool(a.get("normalize", False)))
    raise ValueError(f"contrastive_torch: layer type {t!r} is not known here; add it to build()")


def load_model(path: str) -> Tuple[nn.Module, Dict[str, str]]:
    """The model of a contrastive model file, weights loaded (strict), and the file's metadata."""
    tensors, meta = read_safetensors(path)
    if SPEC_KEY not in meta:
        raise ValueError(f"{path} has no '{SPEC_KEY}' metadata: it is a plain state_dict, not a model file")
    model = build(json.loads(meta[SPEC_KEY]))
    model.load_state_dict(tensors, strict=True)
    return model, meta


def save_model(path: str, model: nn.Module, metadata: Dict[str, str]) -> None:
    """Writes the model's state_dict with the metadata (keep the spec from load_model)."""
    if isinstance(model, nn.parallel.DistributedDataParallel):
        model = model.module
    write_safetensors(path, model.state_dict(), metadata)


# ---- SimCLR across processes ----

class _Gather(torch.autograd.Function):
    """all_gather that passes gradients back to every process's own slice (as lightly and solo-learn do)."""

    @staticmethod
    def forward(ctx, x):
        out = [torch.zeros_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(out, x.contiguous())
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        g = torch.stack(grads)
        dist.all_reduce(g)
        return g[dist.get_rank()]


def nt_xent(a: torch.Tensor, b: torch.Tensor, temperature: float) -> torch.Tensor:
    """NT-Xent over the views of all processes: every row's negatives are the other 2N_total - 2 rows.

    The mean over anchors matches the JavaScript ``ntXent`` when run in one process.
    """
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        rank = dist.get_rank()
        a_all, b_all = torch.cat(_Gather.apply(a)), torch.cat(_Gather.apply(b))
        n = a.shape[0]
        offset = rank * n
    else:
        a_all, b_all, n, offset = a, b, a.shape[0], 0
    z_local = F.normalize(torch.cat([a, b]), dim=1)
    z_all = F.normalize(torch.cat([a_all, b_all]), dim=1)
    total = a_all.shape[0]
    logits = z_local @ z_all.T / temperature
    idx = torch.arange(n, device=a.device) + offset
    rows = torch.cat([idx, idx + total])            # each local row's own column in z_all
    pos = torch.cat([idx + total, idx])             # its other view
    logits = logits.masked_fill(F.one_hot(rows, 2 * total).bool(), float("-inf"))
    return F.cross_entropy(logits, pos)


def _views(x: torch.Tensor, g: torch.Generator, noise: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """Two views of a batch by Gaussian noise: a stand-in for your own augmentations."""
    return x + noise * torch.randn(x.shape, generator=g), x + noise * torch.randn(x.shape, generator=g)


def _train_worker(rank: int, args: argparse.Namespace) -> None:
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(args.port))
    dist.init_process_group("gloo", rank=rank, world_size=args.world_size)
    try:
        torch.manual_seed(args.seed)
        model, meta = load_model(args.model)
        ddp = nn.parallel.DistributedDataParallel(model)
        opt = torch.optim.AdamW(ddp.parameters(), lr=args.lr, weight_decay=args.weight_decay)
        import numpy as np

        data = torch.from_numpy(np.load(args.data).astype("float32"))
        data = data.reshape(data.shape[0], -1)
        g = torch.Generator().manual_seed(args.seed * 1000 + rank)
        per = args.batch_size
        losses = []
        ddp.train()
        for step in range(args.steps):
            # each process takes its own slice of a shared shuffled order
            order = torch.randperm(data.shape[0], generator=torch.Generator().manual_seed(args.seed + step))
            take = order[(rank * per) % data.shape[0] :][:per]
            if take.numel() < per:
                take = order[:per]
            x1, x2 = _views(data[take], g, args.noise)
            # one forward of both views: DDP broadcasts BatchNorm buffers once per forward
            a, b = ddp(torch.cat([x1, x2])).chunk(2)
            loss = nt_xent(a, b, args.temperature)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss))
        if rank == 0:
            meta = dict(meta)
            meta["contrastive.torch"] = json.dumps({"steps": args.steps, "world_size": args.world_size, "losses": losses, "torch": torch.__version__})
            save_model(args.out, ddp, meta)
            print(json.dumps({"losses": losses}))
    finally:
        dist.destroy_process_group()


def main(argv: List[str]) -> None:
    p = argparse.ArgumentParser(prog="contrastive_torch", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="continue SimCLR training with DistributedDataParallel (gloo)")
    t.add_argument("--model", required=True, help="model file from saveModel / contrastive train")
    t.add_argument("--data", required=True, help=".npy array of samples (rows, as the model takes them)")
    t.add_argument("--out", required=True)
    t.add_argument("--world-size", type=int, default=2)
    t.add_argument("--steps", type=int, default=100)
    t.add_argument("--batch-size", type=int, default=64, help="per process")
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--weight-decay", type=float, default=0.0)
    t.add_argument("--temperature", type=float, default=0.1)
    t.add_argument("--noise", type=float, default=0.1)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--port", type=int, default=29533)
    c = sub.add_parser("forward", help="print the model's outputs on a .npy batch as JSON (for checks)")
    c.add_argument("--model", required=True)
    c.add_argument("--data", required=True, help=".npy samples; for text models, token ids [texts, positions]")
    c.add_argument("--mask", help="text models: .npy attention mask (1 = token, 0 = padding)")
    c.add_argument("--types", help="text models: .npy token type ids")
    args = p.parse_args(argv)
    if args.cmd == "train":
        torch.multiprocessing.spawn(_train_worker, args=(args,), nprocs=args.world_size, join=True)
    else:
        import numpy as np

        model, _ = load_model(args.model)
        model.eval()
        if getattr(model, "takes_ids", False):
            # text models: --data holds token ids [texts, positions]; --mask and --types the same shape
            ids = torch.from_numpy(np.load(args.data).astype("int64"))
            opt = lambda f: None if f is None else torch.from_numpy(np.load(f).astype("int64"))  # noqa: E731
            with torch.no_grad():
                if isinstance(model, Embedding):
                    y = model(ids)
                else:
                    y = model(ids, attention_mask=opt(args.mask), token_type_ids=opt(args.types))
            print(json.dumps(y.reshape(-1, y.shape[-1]).tolist()))
            return
        x = torch.from_numpy(np.load(args.data).astype("float32"))
        with torch.no_grad():
            y = model(x.reshape(x.shape[0], -1))
        print(json.dumps(y.tolist()))


if __name__ == "__main__":
    main(sys.argv[1:])

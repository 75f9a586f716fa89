"""Continue in PyTorch what you trained with the contrastive JavaScript library.

A model file written by ``saveModel`` (JavaScript) or ``contrastive train`` is a safetensors file
whose tensors are the state_dict under PyTorch names and whose metadata key ``contrastive.spec``
holds the architecture. This module rebuilds that architecture as a ``torch.nn.Module``, loads the
weights, trains on (with DistributedDataParallel across processes or machines, gloo on CPU or
nccl on GPUs), and writes a file the JavaScript library loads back with ``loadModel``.

Needs only torch (and numpy for ``.npy`` data); the ``safetensors`` package is not required.

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


def build(spec: dict) -> nn.Module:
    """A torch.nn.Module from a ``contrastive.spec`` architecture (initial weights)."""
    t, a = spec["type"], spec.get("args", {}) or {}
    kids = [build(c) for c in spec.get("children", []) or []]
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
    c.add_argument("--data", required=True)
    args = p.parse_args(argv)
    if args.cmd == "train":
        torch.multiprocessing.spawn(_train_worker, args=(args,), nprocs=args.world_size, join=True)
    else:
        import numpy as np

        model, _ = load_model(args.model)
        model.eval()
        x = torch.from_numpy(np.load(args.data).astype("float32"))
        with torch.no_grad():
            y = model(x.reshape(x.shape[0], -1))
        print(json.dumps(y.tolist()))


if __name__ == "__main__":
    main(sys.argv[1:])

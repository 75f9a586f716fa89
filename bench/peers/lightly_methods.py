"""The PyTorch side of bench/methods.mjs: lightly's losses (and its momentum utilities) training
the same encoder, heads, augmentations, optimizer and schedule as `contrastive train --method`,
one CPU thread. Writes the encoder as a contrastive-encoder-1 safetensors file (PyTorch names,
the CLI's spec in the metadata), so `contrastive eval` scores both sides with the same probes.

    python3 bench/peers/lightly_methods.py --method simclr|byol|barlowtwins --encoder mlp|conv \
        --epochs 2 --batch-size 256 --seed 0 --images train-images-idx3-ubyte --labels ... --out enc.safetensors

Matches packages/cli/src/methods.ts and the encoder's recipe in packages/contrastive/src/train/recipes.ts
(RECIPES.mlp: the 784-512-256 MLP, AdamW lr 1e-3, no weight decay, constant lr, temperature 0.1,
crops 0.3-1; RECIPES.conv: lenet28({ bnRelu: true }), AdamW lr 2e-3, weight decay 1e-4, linear
warmup over 10% of the steps (at most 200) then cosine to 0, temperature 0.2, crops 0.5-1) and the
small-gray augmentation preset. Differences:
PyTorch's default initialization, torchvision's random streams, and BatchNorm per view where the
contrastive Trainer normalizes both views in one batch (as lightly's examples do: two forwards).
"""
import argparse
import json
import math
import struct
import time

import numpy as np
import torch
import torchvision.transforms.v2 as T
from lightly.loss import BarlowTwinsLoss, NegativeCosineSimilarity, NTXentLoss
from lightly.models.utils import deactivate_requires_grad, update_momentum
from lightly.utils.scheduler import cosine_schedule
from safetensors.torch import save_file
from torch import nn

p = argparse.ArgumentParser()
p.add_argument("--method", required=True, choices=["simclr", "byol", "barlowtwins"])
p.add_argument("--encoder", default="mlp", choices=["mlp", "conv"])
p.add_argument("--epochs", type=int, default=2)
p.add_argument("--batch-size", type=int, default=256)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--images", required=True)
p.add_argument("--labels")
p.add_argument("--out", required=True)
a = p.parse_args()
torch.set_num_threads(1)
torch.manual_seed(a.seed)


def read_idx(path):
    with open(path, "rb") as f:
        b = f.read()
    nd = b[3]
    dims = struct.unpack(">" + "I" * nd, b[4:4 + 4 * nd])
    return np.frombuffer(b, np.uint8, offset=4 + 4 * nd).reshape(dims)


x = torch.tensor(read_idx(a.images), dtype=torch.float32).div(255).unsqueeze(1)  # N x 1 x 28 x 28
n = x.shape[0]

# the encoders' recipes (RECIPES in packages/contrastive/src/train/recipes.ts)
RECIPE = {
    "mlp": dict(lr=1e-3, wd=0.0, schedule="constant", temperature=0.1, crop=0.3),
    "conv": dict(lr=2e-3, wd=1e-4, schedule="cosine", temperature=0.2, crop=0.5),
}[a.encoder]

aug = T.Compose([
    T.RandomResizedCrop(28, scale=(RECIPE["crop"], 1.0), ratio=(3 / 4, 4 / 3), antialias=True),
    T.RandomApply([T.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), interpolation=T.InterpolationMode.BILINEAR)], p=0.5),
    T.RandomApply([T.ColorJitter(brightness=0.4, contrast=0.4)], p=0.8),
])


def views(idx):
    return [torch.stack([aug(x[i]) for i in idx]).flatten(1) for _ in range(2)]


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers += [nn.BatchNorm1d(sizes[i + 1]), nn.ReLU()]
    return nn.Sequential(*layers)


def lenet28():
    # lenet28({ bnRelu: true }): the same layer indices, so the state_dict names match the CLI's spec
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.BatchNorm1d(256), nn.ReLU(),
    )


def make_encoder():
    return mlp([784, 512, d]) if a.encoder == "mlp" else lenet28()


d = 256
encoder = make_encoder()
if a.method == "simclr":
    head = mlp([d, d, 128])
    loss_fn = NTXentLoss(temperature=RECIPE["temperature"])
    params = list(encoder.parameters()) + list(head.parameters())
elif a.method == "byol":
    head = mlp([d, 2 * d, 128])
    predictor = mlp([128, 2 * d, 128])
    target = nn.Sequential(make_encoder(), mlp([d, 2 * d, 128]))
    target.load_state_dict(nn.Sequential(encoder, head).state_dict())
    deactivate_requires_grad(target)
    loss_fn = NegativeCosineSimilarity()
    params = list(encoder.parameters()) + list(head.parameters()) + list(predictor.parameters())
else:
    head = mlp([d, 512, 512, 512])
    loss_fn = BarlowTwinsLoss(lambda_param=5e-3)
    params = list(encoder.parameters()) + list(head.parameters())
online = nn.Sequential(encoder, head)
opt = torch.optim.AdamW(params, lr=RECIPE["lr"], weight_decay=RECIPE["wd"])
steps_per_epoch = n // a.batch_size
total = steps_per_epoch * a.epochs
warmup = min(math.floor(total / 10 + 0.5), 200)  # Math.round


def lr_at(t):
    # recipeSchedule: constant, or warmupCosine (linear warmup, then half cosine to 0)
    if RECIPE["schedule"] == "constant":
        return RECIPE["lr"]
    if t < warmup:
        return RECIPE["lr"] * t / warmup
    return RECIPE["lr"] * 0.5 * (1 + math.cos(math.pi * min(t - warmup, total - warmup) / max(1, total - warmup)))


losses = []
t0 = time.perf_counter()
step = 0
g = torch.Generator().manual_seed(a.seed)
for epoch in range(a.epochs):
    order = torch.randperm(n, generator=g)
    for s in range(steps_per_epoch):
        idx = order[s * a.batch_size:(s + 1) * a.batch_size]
        with torch.no_grad():
            v0, v1 = views(idx)
        z0, z1 = online(v0), online(v1)
        if a.method == "byol":
            m = cosine_schedule(step, total, 0.996, 1.0)
            update_momentum(online, target, m)
            with torch.no_grad():
                t0_, t1_ = target(v0), target(v1)
            loss = 0.5 * (loss_fn(predictor(z0), t1_) + loss_fn(predictor(z1), t0_))
        else:
            loss = loss_fn(z0, z1)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        step += 1
seconds = time.perf_counter() - t0
sd = {k: v.detach().contiguous() for k, v in encoder.state_dict().items()}
spec = ({"kind": "mlp", "input": [1, 28, 28], "sizes": [784, 512, d], "outDim": d} if a.encoder == "mlp"
        else {"kind": "conv", "input": [1, 28, 28], "widths": [32, 64], "outDim": d, "bnRelu": True})
save_file(sd, a.out, metadata={"format": "contrastive-encoder-1", "spec": json.dumps(spec),
                               "info": json.dumps({"method": a.method, "peer": "lightly", "epochs": a.epochs, "seed": a.seed})})
print(json.dumps({"secondsPerEpoch": seconds / a.epochs, "firstLoss": losses[0], "finalLoss": losses[-1], "steps": step,
                  "torch": torch.__version__, "lightly": __import__("lightly").__version__}))

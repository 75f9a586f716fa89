"""PyTorch twin of bench/cnn-step.mjs and bench/resnet-step.mjs: the same SimCLR training step
(one forward of both views, NT-Xent, backward, AdamW), timed the same way (one untimed step,
then the median of --steps). Prints one JSON line: torch version, BLAS, threads, median ms.

  python3 bench/peers/torch_step.py --model lenet28|resnet18-cifar --batch B --threads T --steps S
"""
import argparse
import json
import math
import re
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--model", default="lenet28")
ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--steps", type=int, default=8)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


def head(d):
    return [nn.Linear(d, d), nn.BatchNorm1d(d), nn.ReLU(), nn.Linear(d, 128)]


if a.model == "lenet28":
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 49, 256), nn.BatchNorm1d(256), nn.ReLU(), *head(256))
    shape, tau, lr, wd = (1, 28, 28), 0.2, 2e-3, 1e-4
elif a.model == "resnet18-cifar":
    import torchvision
    enc = torchvision.models.resnet18()
    enc.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    enc.maxpool = nn.Identity()
    enc.fc = nn.Identity()
    model = nn.Sequential(enc, *head(512))
    shape, tau, lr, wd = (3, 32, 32), 0.2, 1e-3, 1e-6
else:
    raise SystemExit(f"unknown --model {a.model}")

opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
B = a.batch
x = torch.rand(2 * B, *shape)


def nt_xent(z, tau):
    z = F.normalize(z, dim=1)
    s = z @ z.t() / tau
    s.fill_diagonal_(float("-inf"))
    n = z.shape[0] // 2
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(s, target)


def step():
    opt.zero_grad(set_to_none=True)
    loss = nt_xent(model(x), tau)
    loss.backward()
    opt.step()


model.train()
step()
ms = []
cpu = []
for _ in range(a.steps):
    t, c = time.perf_counter(), time.process_time()
    step()
    ms.append((time.perf_counter() - t) * 1000)
    cpu.append((time.process_time() - c) * 1000)
cfg = torch.__config__.show()
blas = re.search(r"BLAS_INFO=(\w+)", cfg)
print(json.dumps({
    "torch": torch.__version__, "blas": blas.group(1) if blas else "?", "mkldnn": torch.backends.mkldnn.is_available(),
    "threads": torch.get_num_threads(), "model": a.model, "batch": B, "ms": statistics.median(ms),
    "cpuMs": statistics.median(cpu),
}))

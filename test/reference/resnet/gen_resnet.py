"""Reference fixtures for the ResNet tests (test/resnet.node.test.ts).

Run with Debian's PyTorch 1.13 + torchvision 0.14 (no download, random weights):
    /usr/bin/python3 test/reference/resnet/gen_resnet.py

Writes, beside this file:
* layouts.json: state_dict keys, shapes and dtypes of torchvision's resnet18, resnet34 and
  resnet50 (random init), and their named_parameters() order.
* conv3x3.safetensors: 3x3 stride-1 convolutions on odd sizes (conv_cases) for the Winograd
  and im2col paths.
* <case>.safetensors, one per case: a narrow ResNet built from torchvision's own BasicBlock /
  Bottleneck classes with torchvision's ResNet layout (conv1, bn1, maxpool, layer1..4, fc), so
  its state_dict names are torchvision's. Tensors:
    the model's state_dict (F32, torchvision names, num_batches_tracked as I64),
    "input.x" (F32), "input.dy" (F32, the upstream gradient of the output),
    "out.y" (F64: the train-mode forward, BatchNorm on batch statistics),
    "grad.x" and "grad.<param>" (F64: d sum(y * dy) / d ...),
    "after.<bn>.running_mean|running_var|num_batches_tracked" (after that forward),
    "out.y_eval" (F64: eval-mode forward after it).
  Truth is float64: weights and inputs are float32 values, widened, and the model runs in
  double precision.
The safetensors files are written by hand (8-byte little-endian header length, JSON header,
raw little-endian data) so only torch and numpy are needed.
"""
import hashlib
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 17


def rng_for(name):
    return np.random.default_rng([SEED, int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)])


class NarrowResNet(nn.Module):
    """torchvision.models.ResNet with chosen widths and stem (torchvision fixes 64..512)."""

    def __init__(self, block, layers, widths, stem, in_ch=3, num_classes=5):
        super().__init__()
        self.inplanes = widths[0]
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_ch, widths[0], 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        elif stem == "cifar":
            self.conv1 = nn.Conv2d(in_ch, widths[0], 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        else:  # small
            self.conv1 = nn.Conv2d(in_ch, widths[0], 3, 2, 1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        for i, (n, w) in enumerate(zip(layers, widths)):
            setattr(self, f"layer{i + 1}", self._make_layer(block, w, n, 1 if i == 0 else 2))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[-1] * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride):  # as torchvision's
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(4):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


CASES = [
    # name, block, layers, widths, stem, input shape (N, C, H, W)
    ("basic_imagenet", BasicBlock, [2, 1, 1, 1], [4, 8, 8, 16], "imagenet", (3, 3, 32, 32)),
    ("basic_cifar", BasicBlock, [2, 2, 1, 1], [4, 6, 8, 8], "cifar", (2, 3, 12, 12)),
    ("bottleneck_small", Bottleneck, [1, 2, 1, 1], [2, 4, 4, 8], "small", (2, 1, 16, 16)),
]


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def write_safetensors(path, tensors):
    """tensors: name -> (dtype 'F32'|'F64'|'I64', numpy array)."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        dt, arr = tensors[name]
        np_dt = {"F32": "<f4", "F64": "<f8", "I64": "<i8"}[dt]
        b = np.ascontiguousarray(arr, dtype=np_dt).tobytes()
        header[name] = {"dtype": dt, "shape": list(np.shape(arr)), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"generator": "gen_resnet.py", "torch": torch.__version__, "torchvision": torchvision.__version__}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def make_case(name, block, layers, widths, stem, shape):
    g = rng_for(name)
    torch.manual_seed(int(g.integers(1 << 31)))
    net = NarrowResNet(block, layers, widths, stem, in_ch=shape[1]).double()
    with torch.no_grad():
        for mod in net.modules():
            if isinstance(mod, nn.BatchNorm2d):  # exercise gamma, beta and the running stats
                mod.weight.copy_(torch.from_numpy(g.uniform(0.5, 1.5, mod.num_features)))
                mod.bias.copy_(torch.from_numpy(g.uniform(-0.5, 0.5, mod.num_features)))
                mod.running_mean.copy_(torch.from_numpy(g.uniform(-0.2, 0.2, mod.num_features)))
                mod.running_var.copy_(torch.from_numpy(g.uniform(0.5, 2.0, mod.num_features)))
                mod.num_batches_tracked.fill_(int(g.integers(0, 50)))
        for p in net.parameters():  # float32-representable values
            p.copy_(torch.from_numpy(f32(p.detach().numpy())))
        for n_, b in net.named_buffers():
            if b.dtype == torch.float64:
                b.copy_(torch.from_numpy(f32(b.numpy())))
    out = {}
    for k, v in net.state_dict().items():
        # copies: numpy() shares memory with the buffers, which the train-mode forward updates
        out[k] = ("I64", v.numpy().astype(np.int64)) if v.dtype == torch.int64 else ("F32", v.numpy().copy())
    x = torch.from_numpy(f32(g.standard_normal(shape))).requires_grad_(True)
    net.train()
    y = net(x)
    dy = torch.from_numpy(f32(g.standard_normal(tuple(y.shape))))
    (y * dy).sum().backward()
    out["input.x"] = ("F32", x.detach().numpy())
    out["input.dy"] = ("F32", dy.numpy())
    out["out.y"] = ("F64", y.detach().numpy())
    out["grad.x"] = ("F64", x.grad.numpy())
    for k, p in net.named_parameters():
        out[f"grad.{k}"] = ("F64", p.grad.numpy())
    for k, v in net.state_dict().items():
        if "running" in k or "num_batches" in k:
            out[f"after.{k}"] = ("I64", v.numpy().astype(np.int64)) if v.dtype == torch.int64 else ("F64", v.numpy().copy())
    net.eval()
    with torch.no_grad():
        out["out.y_eval"] = ("F64", net(x.detach()).numpy())
    write_safetensors(os.path.join(HERE, f"{name}.safetensors"), out)
    return {"name": name, "block": block.__name__, "layers": layers, "widths": widths, "stem": stem, "input": list(shape), "numClasses": 5}


def conv_cases():
    """3x3 stride-1 convolutions on odd sizes for the Winograd / im2col checks: inputs 1x1, 3x3,
    5x7; 1 and 3 input channels; padding 0 and 1 (where the kernel fits). One file, keys
    "<i>.x", "<i>.w", "<i>.b", "<i>.dy" (F32) and "<i>.y", "<i>.dx", "<i>.dw", "<i>.db" (F64)."""
    out, meta = {}, []
    for h, w in [(1, 1), (3, 3), (5, 7)]:
        for cin in [1, 3]:
            for pad in [0, 1]:
                if h + 2 * pad < 3 or w + 2 * pad < 3:
                    continue
                i = len(meta)
                g = rng_for(f"conv/{h}x{w}/{cin}/{pad}")
                n, cout = 2, 4
                x = torch.from_numpy(f32(g.standard_normal((n, cin, h, w)))).requires_grad_(True)
                wt = torch.from_numpy(f32(g.uniform(-0.5, 0.5, (cout, cin, 3, 3)))).requires_grad_(True)
                b = torch.from_numpy(f32(g.uniform(-0.5, 0.5, cout))).requires_grad_(True)
                y = torch.nn.functional.conv2d(x, wt, b, padding=pad)
                dy = torch.from_numpy(f32(g.standard_normal(tuple(y.shape))))
                (y * dy).sum().backward()
                for k, v in [("x", x), ("w", wt), ("b", b)]:
                    out[f"{i}.{k}"] = ("F32", v.detach().numpy())
                out[f"{i}.dy"] = ("F32", dy.numpy())
                out[f"{i}.y"] = ("F64", y.detach().numpy())
                for k, v in [("dx", x), ("dw", wt), ("db", b)]:
                    out[f"{i}.{k}"] = ("F64", v.grad.numpy())
                meta.append({"n": n, "cin": cin, "cout": cout, "h": h, "w": w, "padding": pad})
    write_safetensors(os.path.join(HERE, "conv3x3.safetensors"), out)
    return meta


def layouts():
    out = {}
    for arch in ["resnet18", "resnet34", "resnet50"]:
        m = getattr(torchvision.models, arch)()
        out[arch] = {
            "state_dict": [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in m.state_dict().items()],
            "parameters": [k for k, _ in m.named_parameters()],
        }
    return out


if __name__ == "__main__":
    torch.set_grad_enabled(True)
    cases = [make_case(*c) for c in CASES]
    with open(os.path.join(HERE, "layouts.json"), "w") as f:
        json.dump(layouts(), f, separators=(",", ":"))
    manifest = {"seed": SEED, "torch": torch.__version__, "torchvision": torchvision.__version__, "cases": cases, "conv3x3": conv_cases()}
    for fn in sorted(os.listdir(HERE)):
        if fn.endswith((".safetensors", "layouts.json")):
            b = open(os.path.join(HERE, fn), "rb").read()
            manifest.setdefault("files", {})[fn] = {"bytes": len(b), "sha256": hashlib.sha256(b).hexdigest()}
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps(manifest["files"], indent=1))

import torch
from safetensors.torch import save_file
save_file({k: v.contiguous() for k, v in torch.load("resnet18.pth", map_location="cpu").items()}, "resnet18.safetensors")

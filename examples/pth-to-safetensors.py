import torch, torchvision
from safetensors.torch import save_file
torch.save(torchvision.models.resnet18().state_dict(), "resnet18.pth")  # stands for your pretrained .pth
save_file({k: v.contiguous() for k, v in torch.load("resnet18.pth", map_location="cpu").items()}, "resnet18.safetensors")

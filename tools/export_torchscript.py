#!/usr/bin/env python3
"""Export a torchvision-style ResNet to a TorchScript file that meets Weaksight's contract.

The contract (checked by Classifier::load, core/compute/Classifier.cpp):
  forward_features(x) -> activation of the target layer (the last stage), exported method
  forward_head(a)     -> logits (global average pooling + the final linear layer), exported method
  forward(x)          -> forward_head(forward_features(x))
  weaksight_description: str   "key: value" lines (architecture, num_classes, hu_low, hu_high,
                               target_layer, head); inputs are HU crops windowed to [0, 1] with
                               hu_low/hu_high; "head: avgpool-linear" declares that forward_head is
                               global average pooling + one linear layer, so Weaksight computes the
                               gradient methods in closed form (no backward pass)
  head_weight: Tensor          the final linear layer's weight (classes x channels), for CAM

Runs wherever PyTorch and torchvision are installed (Debian 12: python3-torch python3-torchvision):
  python3 tools/export_torchscript.py --arch resnet50 --weights model_state.pt --out resnet50_ws.pt
Without --weights the weights are random (seeded; for tests). torch.jit.freeze drops exported
methods unless they are preserved; --freeze keeps forward_features, forward_head and the attributes.

--arch tiny is Weaksight's width-reduced test ResNet (3x3/1 stem, no max-pool, one basic block per
stage at 16/32/64 channels, target layer3), built from torchvision's BasicBlock with the parameter
names of the native C++ model, so the same weights can be loaded on both sides.

--reference FILE also writes, as a TorchScript module of buffers, a seeded batch of HU crops and
what PyTorch itself computes for it on the original (eager) model: logits, and the raw Grad-CAM,
Grad-CAM++ and exact Score-CAM maps of the lesion class (formulas as in core/compute/CamEngine.h).
The C++ tests compare Weaksight's maps with these (tests/fixtures/torchscript/).
"""
import argparse

import torch
import torchvision
from torchvision.models.resnet import BasicBlock, conv1x1


class TinyResNet(torch.nn.Module):
    """torchvision-style twin of the native C++ 'tiny' architecture (core/compute/Classifier.cpp)."""

    def __init__(self, num_classes: int = 2, widths=(16, 32, 64)):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, widths[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(widths[0])
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.Identity()
        inplanes = widths[0]
        for index, width in enumerate(widths):
            stride = 1 if index == 0 else 2
            downsample = None
            if stride != 1 or inplanes != width:
                downsample = torch.nn.Sequential(conv1x1(inplanes, width, stride), torch.nn.BatchNorm2d(width))
            setattr(self, f"layer{index + 1}", torch.nn.Sequential(BasicBlock(inplanes, width, stride, downsample)))
            inplanes = width
        self.layer4 = torch.nn.Identity()  # tiny has three stages
        self.fc = torch.nn.Linear(inplanes, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1))


def build(arch: str) -> torch.nn.Module:
    if arch == "tiny":
        return TinyResNet()
    net = getattr(torchvision.models, arch)(weights=None, num_classes=2)
    net.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return net


class WeaksightResNet(torch.nn.Module):
    def __init__(self, net: torch.nn.Module, description: str):
        super().__init__()
        self.conv1, self.bn1, self.relu, self.maxpool = net.conv1, net.bn1, net.relu, net.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = net.layer1, net.layer2, net.layer3, net.layer4
        self.fc = net.fc
        self.head_weight = net.fc.weight  # the same parameter, under the name the contract uses
        self.weaksight_description: str = description

    @torch.jit.export
    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    @torch.jit.export
    def forward_head(self, a: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(a, 1), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


def randomise_normalisation(net: torch.nn.Module) -> None:
    """Non-trivial batch-norm statistics and affine parameters, so a fixture exercises them."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 2.0)


class References(torch.nn.Module):
    """A module of named buffers, so C++ can read them with torch::jit::load."""

    def __init__(self, tensors: dict):
        super().__init__()
        for name, tensor in tensors.items():
            self.register_buffer(name, tensor.detach().contiguous())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def reference_maps(model: WeaksightResNet, hu: torch.Tensor, hu_low: float, hu_high: float) -> dict:
    """What PyTorch computes for `hu` (N x 1 x H x W Hounsfield units), lesion class, logit score."""
    x = ((hu - hu_low) / (hu_high - hu_low)).clamp(0.0, 1.0)
    with torch.no_grad():
        activation = model.forward_features(x)
    a = activation.clone().requires_grad_(True)
    logits = model.forward_head(a)
    g = torch.autograd.grad(logits[:, 1].sum(), a)[0]
    a = a.detach()
    grad_cam = torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1))
    g2, g3 = g.pow(2), g.pow(3)
    denominator = 2 * g2 + a.sum((2, 3), keepdim=True) * g3
    alpha = g2 / torch.where(denominator != 0, denominator, torch.ones_like(denominator))
    grad_cam_pp = torch.relu(((alpha * torch.relu(g)).sum((2, 3), keepdim=True) * a).sum(1))
    score_cam = []
    with torch.no_grad():
        for i in range(x.shape[0]):
            masks = torch.nn.functional.interpolate(a[i].unsqueeze(1), size=x.shape[2:], mode="bilinear",
                                                    align_corners=False)
            low = masks.amin((2, 3), keepdim=True)
            span = masks.amax((2, 3), keepdim=True) - low
            masks = torch.where(span > 0, (masks - low) / torch.where(span > 0, span, torch.ones_like(span)),
                                torch.zeros_like(masks))
            scores = model(masks * x[i : i + 1])[:, 1]
            baseline = model(torch.zeros_like(x[i : i + 1]))[:, 1]
            weights = torch.softmax(scores - baseline, 0)
            score_cam.append(torch.relu((weights.view(-1, 1, 1) * a[i]).sum(0)))
    return {"input_hu": hu, "logits": logits.detach(), "grad_cam": grad_cam, "grad_cam_pp": grad_cam_pp,
            "score_cam": torch.stack(score_cam)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["tiny", "resnet18", "resnet34", "resnet50", "resnet101"], required=True)
    parser.add_argument("--weights", help="state_dict of a 1-channel, 2-class model (torch.save)")
    parser.add_argument("--hu-low", type=float, default=-200.0)
    parser.add_argument("--hu-high", type=float, default=300.0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--freeze", action="store_true", help="freeze, keeping the contract's methods")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--randomise-norm", action="store_true",
                        help="random batch-norm statistics (for test fixtures)")
    parser.add_argument("--reference", help="also write PyTorch's logits and maps for a seeded crop batch here")
    parser.add_argument("--reference-size", type=int, nargs=2, default=[48, 40], metavar=("ROWS", "COLS"))
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    net = build(args.arch)
    if args.weights:
        net.load_state_dict(torch.load(args.weights, map_location="cpu"))
    elif args.randomise_norm:
        randomise_normalisation(net)
    net.eval()
    target_layer = "layer3" if args.arch == "tiny" else "layer4"
    description = (f"architecture: {args.arch}\nnum_classes: 2\nhu_low: {args.hu_low}\n"
                   f"hu_high: {args.hu_high}\ntarget_layer: {target_layer}\nhead: avgpool-linear\n")
    wrapper = WeaksightResNet(net, description).eval()
    module = torch.jit.script(wrapper)
    if args.freeze:
        module = torch.jit.freeze(module, preserved_attrs=["forward_features", "forward_head",
                                                           "weaksight_description", "head_weight"])
    module.save(args.out)

    # Read back and check the contract and the numbers before reporting success.
    loaded = torch.jit.load(args.out)
    x = torch.rand(2, 1, 150, 150)
    with torch.no_grad():
        expected = net(x)
        got = loaded.forward_head(loaded.forward_features(x))
    assert torch.allclose(expected, got, atol=1e-5), "exported model disagrees with the original"
    assert loaded.weaksight_description == description
    assert torch.equal(loaded.head_weight, net.fc.weight.detach())
    print(f"wrote {args.out}: {args.arch}, max |difference| {float((expected - got).abs().max()):.2e}")

    if args.reference:
        generator = torch.Generator().manual_seed(args.seed + 1)
        rows, cols = args.reference_size
        hu = torch.rand(2, 1, rows, cols, generator=generator) * 900.0 - 400.0  # beyond the window on both sides
        torch.jit.script(References(reference_maps(wrapper, hu, args.hu_low, args.hu_high))).save(args.reference)
        print(f"wrote {args.reference}: PyTorch {torch.__version__} logits and maps for 2 crops of {rows}x{cols}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Export a torchvision-style ResNet to a TorchScript file that meets Weaksight's contract.

The contract (checked by Classifier::load, core/compute/Classifier.cpp):
  forward_features(x) -> activation of the target layer (layer4), exported method
  forward_head(a)     -> logits (global average pooling + the final linear layer), exported method
  forward(x)          -> forward_head(forward_features(x))
  weaksight_description: str   "key: value" lines (architecture, num_classes, hu_low, hu_high,
                               target_layer); inputs are HU crops windowed to [0, 1] with hu_low/hu_high
  head_weight: Tensor          the final linear layer's weight (classes x channels), for CAM

Runs wherever PyTorch and torchvision are installed:
  python3 tools/export_torchscript.py --arch resnet50 --weights model_state.pt --out resnet50_ws.pt
Without --weights the weights are random (for tests). torch.jit.freeze drops exported methods
unless they are preserved; --freeze keeps forward_features and forward_head.
"""
import argparse

import torch
import torchvision


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["resnet18", "resnet34", "resnet50", "resnet101"], required=True)
    parser.add_argument("--weights", help="state_dict of a 1-channel, 2-class model (torch.save)")
    parser.add_argument("--hu-low", type=float, default=-200.0)
    parser.add_argument("--hu-high", type=float, default=300.0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--freeze", action="store_true", help="freeze, keeping the contract's methods")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    net = getattr(torchvision.models, args.arch)(weights=None, num_classes=2)
    net.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    if args.weights:
        net.load_state_dict(torch.load(args.weights, map_location="cpu"))
    net.eval()
    description = (f"architecture: {args.arch}\nnum_classes: 2\nhu_low: {args.hu_low}\n"
                   f"hu_high: {args.hu_high}\ntarget_layer: layer4\n")
    module = torch.jit.script(WeaksightResNet(net, description).eval())
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
    print(f"wrote {args.out}: {args.arch}, max |difference| {float((expected - got).abs().max()):.2e}")


if __name__ == "__main__":
    main()

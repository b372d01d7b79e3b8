#!/usr/bin/env python3
"""Make tests/fixtures/library-cams: CAM maps computed by pytorch-grad-cam and TorchCAM themselves.

Weaksight's `pytorch-grad-cam` and `torchcam` flavours (core/compute/CamEngine.h) must give the
maps those libraries give. This script trains a small classifier (Weaksight's 'tiny' ResNet,
torchvision blocks, 1 channel, 2 classes) on synthetic 64 x 64 HU crops -- a bright kidney-like
ellipse, with or without a darker lesion -- so the weights are trained (large logits, small
gradients: where the libraries' epsilons matter), then runs the libraries' own extractors on four
crops at the last stage (layer3) and an intermediate stage (layer2) and writes:
  tiny_trained.pt   the model as a TorchScript file meeting Weaksight's contract
  references.pt     a module of buffers: input_hu, logits, and for each library, method and layer
                    `<library>__<method>__<layer>__raw` (the map before the library normalises it)
                    and `__final` (what the library returns; pytorch-grad-cam's final maps are
                    kept for two methods only: its final step is the same for every method)
The libraries are not installed or committed: fetch their public sources and unpack them with
tools/prepare-reference-cams.sh (into .gpu/ref), then, with Debian's PyTorch:
  /usr/bin/python3 tools/make_library_fixtures.py --libraries .gpu/ref --out tests/fixtures/library-cams
The committed fixtures were made by that command (SOURCES.txt there names the library commits).

Smooth Grad-CAM++ (TorchCAM only): TorchCAM draws its noise from torch's global generator; the
script hands TorchCAM Weaksight's noise instead (per crop, a generator seeded with the FNV-1a hash
of the windowed crop, as CamEngine.cpp does), so the maps can be compared at all.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_torchscript import References, TinyResNet, WeaksightResNet  # noqa: E402

HU_LOW, HU_HIGH = -200.0, 300.0
SIZE = 64
SMOOTH_SAMPLES, SMOOTH_NOISE, SMOOTH_SEED = 4, 0.3, 0


def synthetic_crops(generator: torch.Generator, count: int, lesion: torch.Tensor) -> torch.Tensor:
    """count x 1 x SIZE x SIZE whole-number HU: soft tissue, a kidney ellipse, a lesion where asked."""
    rows = torch.arange(SIZE, dtype=torch.float32).view(SIZE, 1)
    cols = torch.arange(SIZE, dtype=torch.float32).view(1, SIZE)
    crops = []
    for i in range(count):
        u = torch.rand(8, generator=generator)
        noise = torch.randn(1, 1, SIZE, SIZE, generator=generator)
        tissue = 40.0 + 60.0 * torch.nn.functional.avg_pool2d(noise, 5, 1, 2)[0, 0]
        cy, cx = 22 + 20 * u[0], 22 + 20 * u[1]
        ry, rx = 12 + 6 * u[2], 9 + 5 * u[3]
        kidney = ((rows - cy) / ry) ** 2 + ((cols - cx) / rx) ** 2 <= 1.0
        image = torch.where(kidney, 180.0 + 15.0 * noise[0, 0], tissue)
        if lesion[i]:
            radius = 3.0 + 4.0 * u[4]
            angle = 6.2832 * u[5]
            ly = cy + 0.5 * ry * torch.sin(angle)
            lx = cx + 0.5 * rx * torch.cos(angle)
            disc = (rows - ly) ** 2 + (cols - lx) ** 2 <= radius ** 2
            image = torch.where(disc, 60.0 + 10.0 * noise[0, 0], image)
        crops.append(image.round())
    return torch.stack(crops).unsqueeze(1)


def window(hu: torch.Tensor) -> torch.Tensor:
    """Classifier::preprocess bit for bit: (v - low) * float(1 / (high - low)), clamped, float32."""
    scale = np.float32(1.0 / (HU_HIGH - HU_LOW))
    x = (hu.numpy().astype(np.float32) - np.float32(HU_LOW)) * scale
    return torch.from_numpy(np.clip(x, np.float32(0), np.float32(1)))


def train(net: torch.nn.Module, steps: int, seed: int) -> float:
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(net.parameters(), lr=2e-3)
    net.train()
    for _ in range(steps):
        labels = (torch.rand(32, generator=generator) < 0.5).long()
        x = window(synthetic_crops(generator, 32, labels))
        loss = torch.nn.functional.cross_entropy(net(x), labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    # Exact batch-norm statistics (a cumulative average over fresh batches), as Weaksight's
    # trainer recalibrates them: the running averages lag the weights, and eval mode then fails.
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None
        for _ in range(20):
            labels = (torch.rand(32, generator=generator) < 0.5).long()
            net(window(synthetic_crops(generator, 32, labels)))
    net.eval()
    labels = (torch.arange(200) % 2).long()
    with torch.no_grad():
        x = window(synthetic_crops(torch.Generator().manual_seed(seed + 1), 200, labels))
        accuracy = float((net(x).argmax(1) == labels).float().mean())
    return accuracy


def fnv1a64(data: bytes, basis: int) -> int:
    h = basis
    for byte in data:
        h ^= byte
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def weaksight_noise(x: torch.Tensor) -> torch.Tensor:
    """samples x N x 1 x H x W standard normal noise, as CamEngine.cpp draws it for each crop."""
    basis = (SMOOTH_SEED * 0x9E3779B97F4A7C15 + 1469598103934665603) & 0xFFFFFFFFFFFFFFFF
    per_crop = []
    for crop in x:
        seed = fnv1a64(crop.contiguous().numpy().tobytes(), basis)
        generator = torch.Generator().manual_seed(seed)
        per_crop.append(torch.normal(0.0, 1.0, (SMOOTH_SAMPLES, *crop.shape), generator=generator))
    return torch.stack(per_crop, 1)


class ReplayedNoise:
    """Stands in for TorchCAM's torch.distributions.Normal(0, std): sample s returns std * noise[s]."""

    def __init__(self, noise: torch.Tensor, std: float):
        self.noise, self.std, self.calls = noise, std, 0

    def sample(self, size):
        sample = self.noise[self.calls % self.noise.shape[0]]
        assert tuple(sample.shape) == tuple(size)
        self.calls += 1
        return self.std * sample


def pytorch_grad_cam_maps(net, x, layer: str, out: dict) -> None:
    import pytorch_grad_cam
    import pytorch_grad_cam.base_cam as base_cam
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    captured = []
    original_scale = base_cam.scale_cam_image

    def capture(cam, target_size=None):
        if target_size is not None:  # compute_cam_per_layer: the ReLU'd map of the target layer
            captured.append(np.array(cam, copy=True))
        return original_scale(cam, target_size)

    base_cam.scale_cam_image = capture
    try:
        methods = {"gradcam": "GradCAM", "gradcam++": "GradCAMPlusPlus", "scorecam": "ScoreCAM",
                   "xgradcam": "XGradCAM", "layercam": "LayerCAM", "hirescam": "HiResCAM", "eigencam": "EigenCAM"}
        for name, cls in methods.items():
            captured.clear()
            extractor = getattr(pytorch_grad_cam, cls)(model=net, target_layers=[getattr(net, layer)])
            final = extractor(input_tensor=x, targets=[ClassifierOutputTarget(1)] * x.shape[0])
            assert len(captured) == 1
            key = f"pytorch-grad-cam__{name}__{layer}"
            out[key + "__raw"] = torch.from_numpy(captured[0].astype(np.float32))
            if name in ("gradcam++", "scorecam"):
                out[key + "__final"] = torch.from_numpy(np.asarray(final, dtype=np.float32))
    finally:
        base_cam.scale_cam_image = original_scale


def torchcam_maps(net, x, layer: str, out: dict) -> None:
    from torchcam import methods as tc

    names = {"gradcam": tc.GradCAM, "gradcam++": tc.GradCAMpp, "smoothgradcam++": tc.SmoothGradCAMpp,
             "scorecam": tc.ScoreCAM, "xgradcam": tc.XGradCAM, "layercam": tc.LayerCAM}
    if layer == "layer3":
        names = {"cam": tc.CAM, **names}
    noise = weaksight_noise(x)
    for name, cls in names.items():
        kwargs = {"fc_layer": "fc"} if name == "cam" else {}
        maps = {}
        for normalized in (False, True):
            with cls(net, target_layer=layer, input_shape=tuple(x.shape[1:]), **kwargs) as extractor:
                if name == "smoothgradcam++":
                    assert extractor.num_samples == SMOOTH_SAMPLES and extractor.std == SMOOTH_NOISE
                    extractor._distrib = ReplayedNoise(noise, extractor.std)
                scores = net(x)
                maps[normalized] = extractor(class_idx=1, scores=scores, normalized=normalized)[0].detach().clone()
        key = f"torchcam__{name}__{layer}"
        out[key + "__raw"] = maps[False]
        out[key + "__final"] = maps[True]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--libraries", required=True, help="folder holding pytorch_grad_cam, torchcam and ttach")
    parser.add_argument("--out", required=True)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.libraries))
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    torch.manual_seed(args.seed)

    net = TinyResNet()
    accuracy = train(net, args.steps, args.seed)
    print(f"trained tiny ResNet for {args.steps} steps: held-out accuracy {accuracy:.3f}")
    os.makedirs(args.out, exist_ok=True)
    description = (f"architecture: tiny\nnum_classes: 2\nhu_low: {HU_LOW}\nhu_high: {HU_HIGH}\n"
                   "target_layer: layer3\nhead: avgpool-linear\n")
    torch.jit.script(WeaksightResNet(net, description).eval()).save(os.path.join(args.out, "tiny_trained.pt"))

    hu = synthetic_crops(torch.Generator().manual_seed(args.seed + 2), 4, torch.tensor([1, 0, 1, 0]))
    x = window(hu)
    with torch.no_grad():
        logits = net(x)
    print("fixture crops' logits:", [[round(v, 2) for v in row] for row in logits.tolist()])
    out = {"input_hu": hu, "logits": logits}
    for layer in ("layer3", "layer2"):
        pytorch_grad_cam_maps(net, x, layer, out)
        torchcam_maps(net, x, layer, out)
    torch.jit.script(References(out)).save(os.path.join(args.out, "references.pt"))
    sources = os.path.join(os.path.abspath(args.libraries), "SOURCES.txt")
    if os.path.exists(sources):  # "commit date path": keep the repository's name, not this machine's path
        with open(sources) as given, open(os.path.join(args.out, "SOURCES.txt"), "w") as kept:
            for line in given:
                commit, date, path = line.split()
                name = next((part for part in path.split("/") if "+" in part), path).replace("+", "/", 1)
                kept.write(f"{commit} {date} {name}\n")
    print(f"wrote {args.out}: {len(out) - 2} maps with PyTorch {torch.__version__}")


if __name__ == "__main__":
    main()

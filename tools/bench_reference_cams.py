#!/usr/bin/env python3
"""Times pytorch-grad-cam and TorchCAM on the architectures and crop size of `weaksight bench cam`,
on the same device, and prints their ms per crop beside Weaksight's (read from a bench cam log).

The libraries are public sources fetched outside the repository and put on PYTHONPATH (never
committed); see tools/gpu-check.sh. The models are torchvision ResNets with Weaksight's shape: one
input channel (7x7 stride-2 stem), two classes, random weights (the time of a CAM does not depend on
them), eval mode, target layer layer4, target class 1, one 150x150 crop.

Every method each library has is timed: pytorch-grad-cam's Grad-CAM, Grad-CAM++, Score-CAM, XGradCAM,
LayerCAM, HiResCAM and EigenCAM; TorchCAM's CAM, Grad-CAM, Grad-CAM++, Smooth Grad-CAM++ (4 samples,
noise 0.3, Weaksight's defaults), Score-CAM, XGradCAM and LayerCAM. Weaksight's fast Score-CAM has no
counterpart in either (n/a). Each library's Score-CAM runs with its default batch of masked inputs
and with a batch of 256; the faster is reported (the fairest figure for them). Times are medians of --repeats calls after a
warm-up, with the device synchronised; a library's time includes what it does to return its map
(pytorch-grad-cam's upsampling and copy to a NumPy array), as Weaksight's includes its upsampling.

Usage: bench_reference_cams.py [--device cuda] [--models resnet18,resnet50,resnet101] [--repeats 20]
                               [--crop 150] [--methods gradcam,scorecam,...] [--weaksight-log bench-cuda.log]
"""
import argparse
import contextlib
import gc
import io
import os
import re
import statistics
import sys
import time

import torch
import torchvision


def make_model(name, device):
    model = getattr(torchvision.models, name)(weights=None, num_classes=2)
    model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model.eval().to(device)


def synchronise(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_ms(run, repeats, device):
    run()
    synchronise(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        synchronise(device)
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def reset_peak(device):
    """Starts a peak measurement; returns the bytes allocated now (what earlier methods left)."""
    if device.type != "cuda":
        return 0
    gc.collect()
    torch.cuda.reset_peak_memory_stats(device)
    return torch.cuda.memory_allocated(device)


def peak_mb(device, baseline):
    """Peak GPU memory (MB) allocated by the method beyond the baseline; nan on the CPU."""
    if device.type != "cuda":
        return float("nan")
    return (torch.cuda.max_memory_allocated(device) - baseline) / 2**20


def grad_cam_library_methods(model, x, xb):
    """pytorch-grad-cam: (method, batch, setup) where setup() gives (run, release). Each method's
    hooks exist only while it is timed: the library's objects hook the layer when made."""
    from pytorch_grad_cam import (EigenCAM, GradCAM, GradCAMPlusPlus, HiResCAM, LayerCAM, ScoreCAM,
                                  XGradCAM)
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    layers = [model.layer4[-1]]

    def method(cls, inputs, batch_size=None):
        def setup():
            cam = cls(model=model, target_layers=layers)
            if batch_size:
                cam.batch_size = batch_size
            targets = [ClassifierOutputTarget(1)] * inputs.shape[0]
            return (lambda: cam(input_tensor=inputs, targets=targets)), cam.activations_and_grads.release
        return setup

    return [("gradcam", 1, method(GradCAM, x)), ("gradcam++", 1, method(GradCAMPlusPlus, x)),
            ("scorecam", 1, method(ScoreCAM, x)), ("scorecam@256", 1, method(ScoreCAM, x, 256)),
            ("xgradcam", 1, method(XGradCAM, x)), ("layercam", 1, method(LayerCAM, x)),
            ("hirescam", 1, method(HiResCAM, x)), ("eigencam", 1, method(EigenCAM, x)),
            ("batched gradcam", xb.shape[0], method(GradCAM, xb))]


def torchcam_methods(model, x, xb):
    """TorchCAM: (method, batch, setup) as above."""
    from torchcam.methods import CAM, GradCAM, GradCAMpp, LayerCAM, ScoreCAM, SmoothGradCAMpp, XGradCAM

    def gradient(cls, inputs, **options):
        def setup():
            extractor = cls(model, target_layer="layer4", **options)
            classes = [1] * inputs.shape[0]
            return (lambda: extractor(classes, model(inputs))), extractor.remove_hooks
        return setup

    def no_gradient(make):
        """CAM and Score-CAM: the model's own forward needs no gradient (TorchCAM's usage)."""
        def setup():
            extractor = make()

            def run():
                with torch.no_grad():
                    model(x)
                return extractor(1)
            return run, extractor.remove_hooks
        return setup

    return [("cam", 1, no_gradient(lambda: CAM(model, target_layer="layer4", fc_layer="fc"))),
            ("gradcam", 1, gradient(GradCAM, x)), ("gradcam++", 1, gradient(GradCAMpp, x)),
            ("smoothgradcam++", 1, gradient(SmoothGradCAMpp, x, num_samples=4, std=0.3)),
            ("scorecam", 1, no_gradient(lambda: ScoreCAM(model, target_layer="layer4", batch_size=32))),
            ("scorecam@256", 1, no_gradient(lambda: ScoreCAM(model, target_layer="layer4", batch_size=256))),
            ("xgradcam", 1, gradient(XGradCAM, x)), ("layercam", 1, gradient(LayerCAM, x)),
            ("batched gradcam", xb.shape[0], gradient(GradCAM, xb))]


ALL_METHODS = ("cam", "gradcam", "gradcam++", "smoothgradcam++", "scorecam", "scorecam-fast", "xgradcam",
               "layercam", "hirescam", "eigencam", "batched gradcam")


def cell(value, width, decimals=2):
    """A right-aligned table cell; n/a where a library has no such method (or no figure)."""
    return f"{'n/a':>{width}}" if value != value else f"{value:{width}.{decimals}f}"


def read_weaksight_log(path):
    """{architecture: {method: ms per crop}} from a `bench cam` log; 'batched gradcam' too."""
    figures, current = {}, None
    with open(path) as log:
        for line in log:
            header = re.match(r"^(\w+) \(\d+ target channels", line)
            if header:
                current = figures.setdefault(header.group(1), {})
                continue
            if current is None:
                continue
            row = re.match(r"^  ([a-z+\-]+)\s+([\d.]+)\s", line)
            if row:
                current[row.group(1)] = float(row.group(2))
            batched = re.match(r"^  batched Grad-CAM: ([\d.]+) ms/crop", line)
            if batched:
                current["batched gradcam"] = float(batched.group(1))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--models", default="resnet18,resnet50,resnet101")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (default: every core, as bench cam)")
    parser.add_argument("--crop", type=int, default=150)
    parser.add_argument("--batch", type=int, default=0,
                        help="batch of the batched Grad-CAM figure (default 256 on CUDA, 16 on the CPU)")
    parser.add_argument("--weaksight-log", help="a `weaksight bench cam` log of the same device, for the ratios")
    parser.add_argument("--methods", default=",".join(ALL_METHODS),
                        help="methods to time (default: all); Weaksight's names")
    args = parser.parse_args()
    device = torch.device(args.device)
    if not args.batch:
        args.batch = 256 if device.type == "cuda" else 16
    # Debian's PyTorch starts with one CPU thread; Weaksight's benchmark uses every core.
    torch.set_num_threads(args.threads or os.cpu_count())
    wanted = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in wanted if m not in ALL_METHODS]
    if unknown:
        parser.error(f"unknown methods {unknown}; known: {', '.join(ALL_METHODS)}")
    ours = read_weaksight_log(args.weaksight_log) if args.weaksight_log else {}
    print(f"reference CAM libraries: torch {torch.__version__}, torchvision {torchvision.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "")
          + f", {torch.get_num_threads()} CPU threads, crop {args.crop}x{args.crop}, median of {args.repeats} calls")
    for name in args.models.split(","):
        model = make_model(name, device)
        torch.manual_seed(0)
        x = torch.randn(1, 1, args.crop, args.crop, device=device)
        xb = torch.randn(args.batch, 1, args.crop, args.crop, device=device)
        results = {}
        for library, methods_of in (("pytorch-grad-cam", grad_cam_library_methods), ("torchcam", torchcam_methods)):
            try:
                methods = methods_of(model, x, xb)
            except Exception as error:  # a library that does not import is reported, not fatal
                print(f"  {library}: not available ({error})")
                continue
            for method, batch, setup in methods:
                if method.split("@")[0] not in wanted:
                    continue
                repeats = args.repeats
                if method.startswith("scorecam"):  # hundreds of forwards a call: fewer calls
                    repeats = max(3, args.repeats // (4 if device.type == "cpu" else 2))
                baseline = reset_peak(device)
                release = run = None
                try:
                    run, release = setup()
                    with contextlib.redirect_stderr(io.StringIO()):  # pytorch-grad-cam's tqdm bars
                        ms = median_ms(run, repeats, device) / batch
                except Exception as error:
                    print(f"  {library} {method}: failed ({type(error).__name__}: {error})")
                    continue
                finally:
                    if release:
                        release()
                    del run  # the callables hold the inputs and the library's stored activations
                results.setdefault(method.split("@")[0], {})[(library, method)] = (ms, peak_mb(device, baseline))
                print(f"  {library} {method}: {ms:.2f} ms per crop", flush=True)
        print(f"\n{name}")
        print(f"  {'method':16}{'pytorch-grad-cam':>18}{'torchcam':>12}{'weaksight':>12}{'faster ref / ours':>20}"
              f"{'peak GPU MB (pgc, tc)':>24}")
        smallest = float("nan")
        for method in wanted:
            entries = results.get(method, {})

            def best(library):
                candidates = [(ms, peak) for (lib, _), (ms, peak) in entries.items() if lib == library]
                return min(candidates) if candidates else (float("nan"), float("nan"))

            pgc, tc = best("pytorch-grad-cam"), best("torchcam")
            mine = ours.get(name, {}).get(method, float("nan"))
            faster = min(v for v in (pgc[0], tc[0]) if v == v) if (pgc[0] == pgc[0] or tc[0] == tc[0]) else float("nan")
            ratio = faster / mine if mine == mine and mine > 0 else float("nan")
            if ratio == ratio and method != "batched gradcam":
                smallest = ratio if smallest != smallest else min(smallest, ratio)
            print(f"  {method:16}{cell(pgc[0], 18)}{cell(tc[0], 12)}{cell(mine, 12)}{cell(ratio, 20)}"
                  f"{cell(pgc[1], 12, 0)}{cell(tc[1], 12, 0)}")
        if smallest == smallest:
            print(f"  smallest speed-up over the faster library (single crop, every method both have a figure for): "
                  f"{smallest:.2f} (goal 1.5: {'met' if smallest >= 1.5 else 'NOT met'})")
        del model, x, xb
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())

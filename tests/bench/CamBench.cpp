// CAM benchmark executable (also built in the compute-only configuration for GPU machines).
// Usage: weaksight_bench_cam [--device cuda] [--models tiny,resnet18,resnet50] [--repeats N] [--fast]
//        [--reduced-precision (also on the CPU: bfloat16) | --no-reduced-precision (also not on CUDA)]
//        [--no-tf32 (true float32 convolutions on CUDA)] [--reference-path (eager forwards + backward)]
#include "core/compute/CamBenchmark.h"

#include <cstring>
#include <iostream>
#include <sstream>

int main(int argc, char** argv)
{
    weaksight::compute::CamBenchmarkOptions options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (arg == "--device")
            options.device = next();
        else if (arg == "--repeats")
            options.repeats = std::stoi(next());
        else if (arg == "--crop")
            options.cropSize = std::stoi(next());
        else if (arg == "--threads")
            options.threads = std::stoi(next());
        else if (arg == "--no-tf32")
            options.cudaTf32 = false;
        else if (arg == "--reference-path")
            options.referencePath = true;
        else if (arg == "--fast")
            options.exactScoreCamOnLargeModels = false;
        else if (arg == "--reduced-precision")
            options.reducedPrecision = weaksight::compute::CamBenchmarkOptions::ReducedPrecision::On;
        else if (arg == "--no-reduced-precision")
            options.reducedPrecision = weaksight::compute::CamBenchmarkOptions::ReducedPrecision::Off;
        else if (arg == "--models" || arg == "--methods") {
            std::stringstream list(next());
            auto& target = arg == "--models" ? options.architectures : options.methods;
            target.clear();
            for (std::string item; std::getline(list, item, ',');)
                target.push_back(item);
        } else {
            std::cerr << "usage: weaksight_bench_cam [--device D] [--models a,b] [--methods m,n] [--repeats N] [--crop N] "
                         "[--threads N] [--fast] [--reduced-precision|--no-reduced-precision] [--no-tf32] "
                         "[--reference-path]\n";
            return 2;
        }
    }
    try {
        weaksight::compute::runCamBenchmark(options, std::cout);
    } catch (const std::exception& e) {
        std::cerr << "weaksight_bench_cam: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

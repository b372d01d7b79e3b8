// Training benchmark executable (also built in the compute-only configuration for GPU machines).
// Usage: weaksight_bench_train [--device cuda] [--models tiny,resnet18] [--batch N] [--batches N]
//                              [--repeats N] [--threads N]
#include "core/compute/Device.h"
#include "core/compute/Trainer.h"

#include <iostream>
#include <sstream>

int main(int argc, char** argv)
{
    weaksight::compute::TrainBenchmarkOptions options;
    int threads = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (arg == "--device")
            options.device = next();
        else if (arg == "--batch")
            options.batchSize = std::stoi(next());
        else if (arg == "--batches")
            options.batches = std::stoi(next());
        else if (arg == "--repeats")
            options.repeats = std::stoi(next());
        else if (arg == "--threads")
            threads = std::stoi(next());
        else if (arg == "--models") {
            std::stringstream list(next());
            options.architectures.clear();
            for (std::string item; std::getline(list, item, ',');)
                options.architectures.push_back(item);
        } else {
            std::cerr << "usage: weaksight_bench_train [--device D] [--models a,b] [--batch N] [--batches N] "
                         "[--repeats N] [--threads N]\n";
            return 2;
        }
    }
    try {
        weaksight::compute::configureCpuThreads(threads);
        return weaksight::compute::runTrainBenchmark(options, std::cout) ? 0 : 3;
    } catch (const std::exception& e) {
        std::cerr << "weaksight_bench_train: " << e.what() << "\n";
        return 1;
    }
}

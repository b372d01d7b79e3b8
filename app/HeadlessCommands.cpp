#include "app/Commands.h"
#include "app/ProgressLine.h"
#include "core/cases/CaseInfo.h"
#include "core/common/Error.h"
#include "core/compute/Device.h"
#include "core/phantom/Phantom.h"

#include <chrono>
#include <iostream>
#include <spdlog/spdlog.h>

namespace weaksight::app {

std::string versionText()
{
    std::string device;
    try {
        device = compute::selectDevice("auto").name;
    } catch (const std::exception& e) {
        device = std::string("none (") + e.what() + ")";
    }
    return "weaksight " WEAKSIGHT_VERSION "\nLibTorch " + compute::torchVersion() + "\ndevice " + device +
           (compute::cudaAvailable() ? "" : " (CUDA not available)");
}

int runCaseInfo(const CaseInfoOptions& options)
{
    const VolumeRole role = options.role == "image"    ? VolumeRole::Imaging
                            : options.role == "labels" ? VolumeRole::Labels
                                                       : VolumeRole::Auto;
    try {
        const auto optionalPath = [](const std::string& path) {
            return path.empty() ? std::nullopt : std::optional<std::filesystem::path>(path);
        };
        const auto info =
            caseInfo(options.path, role, optionalPath(options.labels), optionalPath(options.labelTable));
        if (options.json)
            std::cout << info.dump(2) << "\n";
        else
            std::cout << formatCaseInfo(info);
        return 0;
    } catch (const InputError& e) {
        spdlog::error("{}", e.what());
        if (options.json)
            std::cout << nlohmann::json{{"error", e.what()}, {"file", e.file().string()}}.dump(2) << "\n";
        return 1;
    }
}

int runPhantom(const PhantomCommandOptions& options)
{
    PhantomOptions phantom;
    phantom.seed = options.seed;
    phantom.minInPlace = std::min(options.minSize, options.maxSize);
    phantom.maxInPlace = std::max(options.minSize, options.maxSize);
    if (!options.thicknesses.empty())
        phantom.sliceThicknesses = options.thicknesses;
    phantom.lesionFreeFraction = options.lesionFreeFraction;
    phantom.firstIndex = options.first;
    ProgressLine progress;
    writePhantomDataset(phantom, options.out, options.cases, [&](int done, int total) {
        progress("phantom cases", static_cast<size_t>(done), static_cast<size_t>(total));
    });
    spdlog::info("wrote {} synthetic cases to {}", options.cases, options.out);
    return 0;
}

} // namespace weaksight::app

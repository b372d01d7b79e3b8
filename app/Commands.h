#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weaksight::app {

struct GuiOptions {
    std::string path;
    bool demo = false;
};

struct CaseInfoOptions {
    std::string path;
    bool json = false;
    std::string role = "auto";
};

struct PhantomCommandOptions {
    std::string out;
    int cases = 10;
    int first = 0;
    uint64_t seed = 1;
    int minSize = 384;
    int maxSize = 512;
    std::vector<double> thicknesses;
    double lesionFreeFraction = 0.2;
};

struct StoreCommandOptions {
    std::string db;
    std::string out;
    std::string dataset;
    std::vector<std::string> formats{"nifti"};
    std::vector<std::string> cases;
    std::vector<std::string> statuses{"accepted", "corrected"};
    int label = 2;
    bool json = false;
    std::vector<std::string> sources;
};

struct CamCommandOptions {
    std::string model;
    std::string input;
    int slice = -1;
    std::string method = "gradcam";
    int target = 1;
    std::string score = "logit";
    std::string out;
    std::string outRaw;
    std::string normalise = "minmax";
    std::string device = "auto";
    int topK = 32;
    int threads = 0;
};

std::string versionText();
int runCam(const CamCommandOptions& options);
int runImport(const StoreCommandOptions& options);
int runExport(const StoreCommandOptions& options);
int runStats(const StoreCommandOptions& options);
int runMerge(const StoreCommandOptions& options);
int runGui(const GuiOptions& options, int argc, char** argv);
int runCaseInfo(const CaseInfoOptions& options);
int runPhantom(const PhantomCommandOptions& options);

} // namespace weaksight::app

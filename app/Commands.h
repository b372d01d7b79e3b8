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

std::string versionText();
int runGui(const GuiOptions& options, int argc, char** argv);
int runCaseInfo(const CaseInfoOptions& options);
int runPhantom(const PhantomCommandOptions& options);

} // namespace weaksight::app

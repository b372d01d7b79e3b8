// The CAM methods' and flavours' name tables, what each flavour has, the map type and its
// normalisation: Torch-free, so every tool that names a method or holds a map (cache keys, the
// heatmap cache, the store, the workstation, the fuzz targets) links without LibTorch.
#include "core/compute/CamEngine.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace weaksight::compute {

namespace {

const std::pair<CamMethod, const char*> kNames[] = {
    {CamMethod::Cam, "cam"},
    {CamMethod::GradCam, "gradcam"},
    {CamMethod::GradCamPlusPlus, "gradcam++"},
    {CamMethod::SmoothGradCamPlusPlus, "smoothgradcam++"},
    {CamMethod::ScoreCam, "scorecam"},
    {CamMethod::FastScoreCam, "scorecam-fast"},
    {CamMethod::XGradCam, "xgradcam"},
    {CamMethod::LayerCam, "layercam"},
    {CamMethod::HiResCam, "hirescam"},
    {CamMethod::EigenCam, "eigencam"},
};

const std::pair<CamFlavour, const char*> kFlavourNames[] = {
    {CamFlavour::Weaksight, "weaksight"},
    {CamFlavour::PytorchGradCam, "pytorch-grad-cam"},
    {CamFlavour::TorchCam, "torchcam"},
};

// One name table per enumeration drives its names, its parsing and its list.
template <typename Enum, size_t N>
std::string nameIn(const std::pair<Enum, const char*> (&table)[N], Enum value)
{
    for (const auto& [v, name] : table)
        if (v == value)
            return name;
    return table[0].second;
}

template <typename Enum, size_t N>
Enum valueIn(const std::pair<Enum, const char*> (&table)[N], const std::string& name, const char* what)
{
    std::string known;
    for (const auto& [v, n] : table) {
        if (name == n)
            return v;
        known += std::string(known.empty() ? "" : ", ") + n;
    }
    throw std::invalid_argument("unknown " + std::string(what) + " '" + name + "' (" + known + ")");
}

template <typename Enum, size_t N> std::vector<Enum> valuesIn(const std::pair<Enum, const char*> (&table)[N])
{
    std::vector<Enum> all;
    for (const auto& [v, n] : table)
        all.push_back(v);
    return all;
}

} // namespace

std::string toString(CamMethod method)
{
    return nameIn(kNames, method);
}
CamMethod camMethodFromString(const std::string& name)
{
    return valueIn(kNames, name, "CAM method");
}
std::vector<CamMethod> allCamMethods()
{
    return valuesIn(kNames);
}

std::string toString(MapNormalisation normalisation)
{
    switch (normalisation) {
    case MapNormalisation::PerCrop:
        return "crop";
    case MapNormalisation::PerCase:
        return "case";
    case MapNormalisation::None:
        return "none";
    }
    return "crop";
}

MapNormalisation mapNormalisationFromString(const std::string& name)
{
    if (name == "crop" || name == "minmax")
        return MapNormalisation::PerCrop;
    if (name == "case" || name == "volume")
        return MapNormalisation::PerCase;
    if (name == "none")
        return MapNormalisation::None;
    throw std::invalid_argument("unknown normalisation '" + name + "' (crop, case, none)");
}

std::string toString(CamFlavour flavour)
{
    return nameIn(kFlavourNames, flavour);
}
CamFlavour camFlavourFromString(const std::string& name)
{
    return valueIn(kFlavourNames, name, "CAM flavour");
}
std::vector<CamFlavour> allCamFlavours()
{
    return valuesIn(kFlavourNames);
}

bool flavourHas(CamFlavour flavour, CamMethod method)
{
    switch (flavour) {
    case CamFlavour::Weaksight:
        return true;
    case CamFlavour::PytorchGradCam:
        return method != CamMethod::Cam && method != CamMethod::SmoothGradCamPlusPlus &&
               method != CamMethod::FastScoreCam;
    case CamFlavour::TorchCam:
        return method != CamMethod::HiResCam && method != CamMethod::EigenCam &&
               method != CamMethod::FastScoreCam;
    }
    return false;
}

bool isApproximate(CamMethod method) { return method == CamMethod::FastScoreCam; }

std::vector<CamMethod> camMethodsOf(CamFlavour flavour)
{
    std::vector<CamMethod> methods;
    for (const auto method : allCamMethods())
        if (flavourHas(flavour, method))
            methods.push_back(method);
    return methods;
}

float CamMap::max() const
{
    return values.empty() ? 0.f : *std::max_element(values.begin(), values.end());
}
float CamMap::min() const
{
    return values.empty() ? 0.f : *std::min_element(values.begin(), values.end());
}

std::vector<uint8_t> proposalMask(const CamMap& map, double threshold)
{
    std::vector<uint8_t> mask(map.values.size());
    for (size_t i = 0; i < mask.size(); ++i)
        mask[i] = isProposed(map.values[i], threshold) ? 1 : 0;
    return mask;
}

void normaliseToRange(std::vector<float>& values, float low, float high)
{
    // A division, not a multiply by 1 / (high - low): the maximum becomes exactly 1.
    for (auto& v : values)
        v = high > low ? (v - low) / (high - low) : 0.f;
}

void normaliseMinMax(CamMap& map) { normaliseToRange(map.values, map.min(), map.max()); }

void normaliseJointly(std::vector<CamMap*>& maps)
{
    float low = INFINITY, high = -INFINITY;
    for (const auto* m : maps)
        if (!m->values.empty()) {
            low = std::min(low, m->min());
            high = std::max(high, m->max());
        }
    for (auto* m : maps)
        normaliseToRange(m->values, low, high);
}

} // namespace weaksight::compute

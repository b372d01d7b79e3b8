// The proposal kinds' name table and the one entry point the evaluation sweeps.
#include "core/compute/CamEngine.h"
#include "core/proposals/CropImages.h"
#include "core/proposals/Proposals.h"

#include <stdexcept>
#include <utility>

namespace weaksight::proposals {

namespace {

// One table drives the names, the parsing and the list.
const std::pair<ProposalKind, const char*> kNames[] = {
    {ProposalKind::Raw, "raw"},
    {ProposalKind::Anatomy, "anatomy"},
    {ProposalKind::Grow, "grow"},
    {ProposalKind::Watershed, "watershed"},
};

} // namespace

std::string toString(ProposalKind kind)
{
    for (const auto& [value, name] : kNames)
        if (value == kind)
            return name;
    return kNames[0].second;
}

ProposalKind proposalKindFromString(const std::string& name)
{
    std::string known;
    for (const auto& [value, n] : kNames) {
        if (name == n)
            return value;
        known += std::string(known.empty() ? "" : ", ") + n;
    }
    throw std::invalid_argument("unknown proposal kind '" + name + "' (" + known + ")");
}

std::vector<ProposalKind> allProposalKinds()
{
    std::vector<ProposalKind> all;
    for (const auto& [value, name] : kNames)
        all.push_back(value);
    return all;
}

BinaryMask propose(ProposalKind kind, const CropView& crop, double level, const ProposalOptions& options)
{
    detail::checkCrop(crop);
    switch (kind) {
    case ProposalKind::Raw:
        break;
    case ProposalKind::Anatomy:
        return refineWithAnatomy(crop, level, options.anatomy);
    case ProposalKind::Grow: {
        GrowOptions grow = options.grow;
        grow.seedLevel = level;
        return growFromSeeds(crop, grow);
    }
    case ProposalKind::Watershed: {
        WatershedOptions watershed = options.watershed;
        watershed.foregroundLevel = level;
        return watershedFromMarkers(crop, watershed);
    }
    }
    // The review's and the evaluation's own rule, so a raw proposal here is theirs pixel for pixel.
    BinaryMask raw(crop.rows, crop.cols);
    for (size_t i = 0; i < raw.pixels.size(); ++i)
        raw.pixels[i] = compute::isProposed(crop.map[i], level) ? 1 : 0;
    return raw;
}

} // namespace weaksight::proposals

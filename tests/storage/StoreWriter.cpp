// Test helper process: writes decisions in a loop and reports each committed one on stdout.
// Used by the SIGKILL crash test and the concurrent-writer test (it is killed or run twice).
// Usage: weaksight_store_writer DB ANNOTATOR COUNT
#include "storage/AnnotationStore.h"

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace weaksight;
using namespace weaksight::storage;

weaksight::BinaryMask expectedMask(int i); // StoreWriterMask.cpp

int main(int argc, char** argv)
{
    if (argc != 4)
        return 2;
    const std::string annotator = argv[2];
    const int count = std::atoi(argv[3]);
    AnnotationStore store(argv[1]);
    const auto caseId = store.findCase("case_crash");
    if (!caseId)
        return 3;
    for (int i = 0; i < count; ++i) {
        ProposalInput p;
        p.caseId = *caseId;
        p.slice = i % 8;
        p.crop = {0, 0, 64, 64};
        p.threshold = 0.5;
        p.mask = expectedMask(i);
        DecisionInput d;
        d.annotator = annotator;
        d.kind = DecisionKind::Correct;
        d.finalMask = expectedMask(i + 1);
        d.comment = std::to_string(i);
        const auto result = store.recordProposalDecision(p, d); // the review's write
        // Reported only after the commit returned: these must survive a SIGKILL.
        std::printf("%lld %d\n", static_cast<long long>(result.decisionId), i);
        std::fflush(stdout);
    }
    return 0;
}

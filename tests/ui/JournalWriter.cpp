// Helper of the crash-recovery test: journals an edit after every "stroke" (state i: the first
// i * 37 pixels of a 150 x 150 crop set) and reports "i" on stdout after each save, until killed.
#include "ui/EditJournal.h"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv)
{
    if (argc != 3)
        return 2;
    weaksight::ui::EditJournal journal(QString::fromLocal8Bit(argv[1]));
    const int count = std::atoi(argv[2]);
    weaksight::ui::EditRecovery state;
    state.storePath = "/data/ds/weaksight.sqlite";
    state.datasetPath = "/data/ds";
    state.caseId = "case_00007";
    state.slice = 41;
    state.crop = 1;
    state.box = {100, 200, 150, 150};
    state.annotator = "writer";
    state.mask = weaksight::BinaryMask(150, 150);
    for (int i = 1; i <= count; ++i) {
        for (size_t p = static_cast<size_t>(i - 1) * 37; p < static_cast<size_t>(i) * 37 && p < state.mask.size(); ++p)
            state.mask.pixels[p] = 1;
        if (!journal.save(state))
            return 1;
        std::printf("%d\n", i);
        std::fflush(stdout);
    }
    return 0;
}

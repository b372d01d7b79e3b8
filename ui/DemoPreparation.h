#pragma once

// The built-in demo's first use: synthetic cases, then a small classifier trained on them, in the
// background with a progress dialog and Cancel (finished steps are kept; a cancelled training
// resumes next time).

#include "core/research/DemoSetup.h"

#include <QString>
#include <filesystem>
#include <functional>

class QWidget;

namespace weaksight::ui {

struct DemoPreparationCallbacks {
    std::function<void()> ready;
    std::function<void()> cancelled;
    std::function<void(const QString& message)> failed;
};

/// Starts preparing the demo under `root`; exactly one of the callbacks runs on the GUI thread.
void prepareDemoInBackground(QWidget* parent, const std::filesystem::path& root, const DemoOptions& options,
                             DemoPreparationCallbacks callbacks);

} // namespace weaksight::ui

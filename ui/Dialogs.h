#pragma once

#include <QtGlobal>

namespace weaksight::ui {

/// Whether modal dialogs may be shown: tests and scripted runs set WEAKSIGHT_NO_DIALOGS, since no
/// one is there to close them (the status bar says what a dialog would have asked).
inline bool dialogsAllowed()
{
    return qEnvironmentVariableIsEmpty("WEAKSIGHT_NO_DIALOGS");
}

} // namespace weaksight::ui

#include "render/VtkLogBridge.h"

#include <spdlog/spdlog.h>
#include <vtkObjectFactory.h>
#include <vtkOutputWindow.h>
#include <vtkSmartPointer.h>

#include <string>

namespace weaksight::render {

namespace {

std::string trimmed(const char* text)
{
    std::string s = text ? text : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
        s.pop_back();
    return s;
}

class SpdlogVtkOutputWindow : public vtkOutputWindow {
public:
    static SpdlogVtkOutputWindow* New();
    vtkTypeMacro(SpdlogVtkOutputWindow, vtkOutputWindow)

    void DisplayText(const char* text) override { spdlog::info("[VTK] {}", trimmed(text)); }
    void DisplayErrorText(const char* text) override { spdlog::error("[VTK] {}", trimmed(text)); }
    void DisplayWarningText(const char* text) override { spdlog::warn("[VTK] {}", trimmed(text)); }
    void DisplayGenericWarningText(const char* text) override { spdlog::warn("[VTK] {}", trimmed(text)); }
    void DisplayDebugText(const char* text) override { spdlog::debug("[VTK] {}", trimmed(text)); }
};
vtkStandardNewMacro(SpdlogVtkOutputWindow);

} // namespace

void installVtkLogBridge()
{
    auto window = vtkSmartPointer<SpdlogVtkOutputWindow>::New();
    vtkOutputWindow::SetInstance(window);
}

} // namespace weaksight::render

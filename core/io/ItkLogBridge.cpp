#include "core/io/ItkLogBridge.h"

#include <itkObjectFactory.h>
#include <itkOutputWindow.h>
#include <spdlog/spdlog.h>

#include <string>

namespace weaksight {

namespace {

std::string trimmed(const char* text)
{
    std::string s = text ? text : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
        s.pop_back();
    return s;
}

class SpdlogItkOutputWindow : public itk::OutputWindow {
public:
    ITK_DISALLOW_COPY_AND_MOVE(SpdlogItkOutputWindow);
    using Self = SpdlogItkOutputWindow;
    using Superclass = itk::OutputWindow;
    using Pointer = itk::SmartPointer<Self>;
    itkNewMacro(Self)

    void DisplayText(const char* text) override { spdlog::info("[ITK] {}", trimmed(text)); }
    void DisplayErrorText(const char* text) override { spdlog::error("[ITK] {}", trimmed(text)); }
    void DisplayWarningText(const char* text) override { spdlog::warn("[ITK] {}", trimmed(text)); }
    void DisplayGenericOutputText(const char* text) override { spdlog::info("[ITK] {}", trimmed(text)); }
    void DisplayDebugText(const char* text) override { spdlog::debug("[ITK] {}", trimmed(text)); }

protected:
    SpdlogItkOutputWindow() = default;
};

} // namespace

void installItkLogBridge() { itk::OutputWindow::SetInstance(SpdlogItkOutputWindow::New()); }

} // namespace weaksight

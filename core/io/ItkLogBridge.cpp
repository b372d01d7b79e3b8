#include "core/io/ItkLogBridge.h"

#include <gdcmTrace.h>
#include <itkObjectFactory.h>
#include <itkOutputWindow.h>
#include <spdlog/spdlog.h>

#include <ostream>
#include <sstream>
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

/// GDCM (ITK's DICOM library) writes to its own streams; this buffer turns each flushed
/// message into one log line.
class SpdlogLineBuffer : public std::stringbuf {
public:
    explicit SpdlogLineBuffer(spdlog::level::level_enum level) : m_level(level) {}

protected:
    int sync() override
    {
        std::string text = str();
        str("");
        for (auto& ch : text)
            if (ch == '\n' || ch == '\r')
                ch = ' ';
        const auto first = text.find_first_not_of(' ');
        if (first != std::string::npos)
            spdlog::log(m_level, "[GDCM] {}", text.substr(first, text.find_last_not_of(' ') - first + 1));
        return 0;
    }

private:
    spdlog::level::level_enum m_level;
};

} // namespace

void installItkLogBridge()
{
    itk::OutputWindow::SetInstance(SpdlogItkOutputWindow::New());
    static SpdlogLineBuffer debugBuffer(spdlog::level::debug), warningBuffer(spdlog::level::warn),
        errorBuffer(spdlog::level::err);
    static std::ostream debugStream(&debugBuffer), warningStream(&warningBuffer), errorStream(&errorBuffer);
    gdcm::Trace::SetDebugStream(debugStream);
    gdcm::Trace::SetWarningStream(warningStream);
    gdcm::Trace::SetErrorStream(errorStream);
}

} // namespace weaksight

// Qt, VTK, ITK and GDCM messages all end up in the one spdlog logger.
#include "core/io/ItkLogBridge.h"
#include "render/VtkLogBridge.h"
#include "ui/QtLogBridge.h"

#include <QtGlobal>
#include <gdcmTrace.h>
#include <gtest/gtest.h>
#include <itkOutputWindow.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <vtkOutputWindow.h>

#include <sstream>

TEST(LogBridges, QtVtkItkAndGdcmMessagesReachSpdlog)
{
    weaksight::installItkLogBridge();
    weaksight::render::installVtkLogBridge();
    weaksight::ui::installQtLogBridge();

    auto previous = spdlog::default_logger();
    std::ostringstream captured;
    auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);

    qWarning("qt says %d", 1);
    vtkOutputWindow::GetInstance()->DisplayWarningText("vtk says 2");
    itk::OutputWindow::GetInstance()->DisplayWarningText("itk says 3");
    gdcm::Trace::GetWarningStream() << "gdcm says\n4" << std::endl;

    spdlog::set_default_logger(previous);
    const std::string log = captured.str();
    EXPECT_NE(log.find("[Qt:default] qt says 1"), std::string::npos) << log;
    EXPECT_NE(log.find("[VTK] vtk says 2"), std::string::npos) << log;
    EXPECT_NE(log.find("[ITK] itk says 3"), std::string::npos) << log;
    EXPECT_NE(log.find("[GDCM] gdcm says 4"), std::string::npos) << log;
}

// `weaksight bench gui`: the workstation's own work per update against the bare VTK render of the
// same scene, the time to the first image of a 512 x 512 case, and resident memory with a ResNet-50.
// Run under Xvfb (VTK needs a GL context; Mesa's software OpenGL sets the floor here).
#include "app/Commands.h"
#include "core/compute/Classifier.h"
#include "core/phantom/Phantom.h"
#include "core/review/ViewPlane.h"
#include "ui/CamController.h"
#include "ui/LinkedViews.h"
#include "ui/MainWindow.h"
#include "ui/ReviewController.h"
#include "ui/SliceView.h"
#include "ui/VtkViewport.h"
#include "ui/Workspace.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QMouseEvent>
#include <QOpenGLContext>
#include <QOpenGLFunctions>
#include <QSlider>
#include <QThread>
#include <QToolBar>
#include <QWindow>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <spdlog/fmt/fmt.h>
#include <unistd.h>
#include <vector>
#include <vtkActor.h>
#include <vtkAlgorithmOutput.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkDiscreteFlyingEdges2D.h>
#include <vtkFlyingEdges2D.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkImageActor.h>
#include <vtkImageData.h>
#include <vtkImageMapper3D.h>
#include <vtkImageProperty.h>
#include <vtkLookupTable.h>
#include <vtkNew.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkScalarBarActor.h>

namespace weaksight::app {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double ms(Clock::duration d)
{
    return std::chrono::duration<double, std::milli>(d).count();
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

long statusKb(const char* key)
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0)
            return std::atol(line.c_str() + std::string(key).size());
    return 0;
}

/// A render forced now and finished on the GPU (or Mesa), as one frame costs.
double renderNow(ui::SliceView& view)
{
    const auto start = Clock::now();
    view.renderImmediately();
    return ms(Clock::now() - start);
}

/// Runs the event loop until `done` or the timeout (ms); the app binary does not link QtTest.
template <typename Predicate> bool waitFor(Predicate done, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(1);
    }
    return true;
}

void waitMs(int milliseconds)
{
    QElapsedTimer timer;
    timer.start();
    waitFor([&] { return timer.elapsed() >= milliseconds; }, milliseconds + 1000);
}

/// What every bare scene draws: the CT image with window/level, the heatmap through a lookup table,
/// the three label contours and the proposal isoline, all in one renderer.
struct BarePipeline {
    vtkNew<vtkImageData> ct, heat, labels;
    vtkNew<vtkImageActor> ctActor, heatActor;
    vtkNew<vtkLookupTable> table;
    vtkNew<vtkDiscreteFlyingEdges2D> labelContours[3];
    vtkNew<vtkActor> labelActors[3];
    vtkNew<vtkFlyingEdges2D> proposal;
    vtkNew<vtkActor> proposalActor;
    vtkNew<vtkRenderer> renderer;

    void addLines(vtkAlgorithmOutput* input, vtkActor* actor, double r, double g, double b)
    {
        vtkNew<vtkPolyDataMapper> mapper;
        mapper->SetInputConnection(input);
        mapper->ScalarVisibilityOff();
        actor->SetMapper(mapper);
        actor->GetProperty()->SetColor(r, g, b);
        actor->SetPosition(0, 0, -0.6);
        renderer->AddActor(actor);
    }
    /// The actors over the images (the caller sized them), in `viewport`, seen through the app's
    /// camera: the same pixels covered (fragment work dominates software GL).
    void build(ui::VtkViewport& viewport, vtkCamera* camera)
    {
        table->SetRange(0, 1);
        table->Build();
        ctActor->GetMapper()->SetInputData(ct);
        ctActor->GetProperty()->SetColorWindow(350);
        ctActor->GetProperty()->SetColorLevel(40);
        heatActor->GetMapper()->SetInputData(heat);
        heatActor->GetProperty()->SetLookupTable(table);
        heatActor->GetProperty()->UseLookupTableScalarRangeOn();
        heatActor->SetPosition(0, 0, -0.2);
        renderer->AddViewProp(ctActor);
        renderer->AddViewProp(heatActor);
        for (int i = 0; i < 3; ++i) {
            labelContours[i]->SetInputData(labels);
            labelContours[i]->SetValue(0, i + 1);
            addLines(labelContours[i]->GetOutputPort(), labelActors[i], i == 0, i == 1, i == 2);
        }
        proposal->SetInputData(heat);
        proposal->SetValue(0, 0.5);
        addLines(proposal->GetOutputPort(), proposalActor, 1, 1, 1);
        viewport.renderWindow()->AddRenderer(renderer);
        renderer->GetActiveCamera()->DeepCopy(camera);
    }
};

/// The floor: the same scene built with plain VTK — the CT slice with window/level, the heatmap
/// over the crop boxes through a lookup table with its colour bar, the three label contours,
/// the proposal isoline and the box outlines — where each frame changes the slice data and renders,
/// with none of the workstation's code in between.
struct BareScene : BarePipeline {
    vtkNew<vtkScalarBarActor> bar;
    vtkNew<vtkActor> boxActor;
    vtkNew<vtkPolyData> boxes;

    BareScene(ui::VtkViewport& viewport, const CtVolume& volume, const review::SliceHeatmaps& maps,
              vtkCamera* camera)
    {
        ct->SetDimensions(volume.cols(), volume.rows(), 1);
        ct->SetSpacing(volume.spacing[2], volume.spacing[1], 1);
        ct->AllocateScalars(VTK_SHORT, 1);
        std::vector<CropBox> cropBoxes;
        for (const auto& crop : maps.crops)
            cropBoxes.push_back(crop.box);
        const CropBox bounds = boundsOnSlice(cropBoxes, volume.rows(), volume.cols());
        const int r0 = bounds.row0, c0 = bounds.col0, r1 = r0 + bounds.rows - 1, c1 = c0 + bounds.cols - 1;
        heat->SetExtent(c0, std::max(c0, c1), r0, std::max(r0, r1), 0, 0);
        heat->SetSpacing(volume.spacing[2], volume.spacing[1], 1);
        heat->AllocateScalars(VTK_FLOAT, 1);
        labels->SetDimensions(volume.cols(), volume.rows(), 1);
        labels->SetSpacing(volume.spacing[2], volume.spacing[1], 1);
        labels->AllocateScalars(VTK_UNSIGNED_CHAR, 1);
        vtkNew<vtkPolyDataMapper> boxMapper;
        boxMapper->SetInputData(boxes);
        boxActor->SetMapper(boxMapper);
        boxActor->GetProperty()->SetColor(1, 0.85, 0.1);
        boxActor->SetPosition(0, 0, -0.6);
        renderer->AddActor(boxActor);
        bar->SetLookupTable(table);
        bar->SetTitle("gradcam\n(per crop)");
        renderer->AddViewProp(bar);
        build(viewport, camera);
    }
    void show(const CtVolume& volume, const LabelVolume& labelVolume, int slice,
              const review::SliceHeatmaps& maps)
    {
        std::memcpy(ct->GetScalarPointer(), volume.slice(slice), volume.sliceSize() * sizeof(int16_t));
        ct->Modified();
        std::memcpy(labels->GetScalarPointer(), labelVolume.slice(slice), labelVolume.sliceSize());
        labels->Modified();
        vtkNew<vtkPoints> points;
        vtkNew<vtkCellArray> lines;
        for (const auto& crop : maps.crops) {
            const CropBox& p = crop.box;
            const double x0 = (p.col0 - 0.5) * volume.spacing[2],
                         x1 = (p.col0 + p.cols - 0.5) * volume.spacing[2];
            const double y0 = (p.row0 - 0.5) * volume.spacing[1],
                         y1 = (p.row0 + p.rows - 0.5) * volume.spacing[1];
            const vtkIdType first = points->InsertNextPoint(x0, y0, 0);
            points->InsertNextPoint(x1, y0, 0);
            points->InsertNextPoint(x1, y1, 0);
            points->InsertNextPoint(x0, y1, 0);
            const vtkIdType loop[5] = {first, first + 1, first + 2, first + 3, first};
            lines->InsertNextCell(5, loop);
        }
        boxes->SetPoints(points);
        boxes->SetLines(lines);
        int extent[6];
        heat->GetExtent(extent);
        for (const auto& crop : maps.crops) {
            const CropBox& p = crop.box;
            for (int r = std::max(extent[2], p.row0); r <= std::min(extent[3], p.row0 + p.rows - 1); ++r)
                for (int c = std::max(extent[0], p.col0); c <= std::min(extent[1], p.col0 + p.cols - 1); ++c)
                    *static_cast<float*>(heat->GetScalarPointer(c, r, 0)) =
                        crop.values[static_cast<size_t>(r - p.row0) * p.cols + (c - p.col0)];
        }
        heat->Modified();
    }
};

/// The floor of a coronal or sagittal view: plain VTK with the CT plane, the stacked heatmap
/// through a lookup table, the three label contours and the proposal isoline, fed planes copied
/// from the volumes by a plain loop.
struct BarePlaneScene : BarePipeline {
    review::ViewPlane plane;
    review::PlaneGrid grid;

    BarePlaneScene(ui::VtkViewport& viewport, review::ViewPlane p, const CtVolume& volume, vtkCamera* camera)
        : plane(p)
        , grid(review::planeGrid(p, volume.shape, volume.spacing))
    {
        for (vtkImageData* image : {ct.Get(), heat.Get(), labels.Get()}) {
            image->SetDimensions(grid.cols, grid.rows, 1);
            image->SetSpacing(grid.colSpacing, grid.rowSpacing, 1);
        }
        ct->AllocateScalars(VTK_SHORT, 1);
        heat->AllocateScalars(VTK_FLOAT, 1);
        labels->AllocateScalars(VTK_UNSIGNED_CHAR, 1);
        build(viewport, camera);
    }
    /// Plane `index` of the volumes and a heatmap plane already stacked (rows x cols).
    void show(const CtVolume& volume, const LabelVolume& labelVolume, int index,
              const std::vector<float>& heatPlane)
    {
        review::copyPlane(volume, plane, index, static_cast<int16_t*>(ct->GetScalarPointer()));
        ct->Modified();
        review::copyPlane(labelVolume, plane, index, static_cast<uint8_t*>(labels->GetScalarPointer()));
        labels->Modified();
        std::memcpy(heat->GetScalarPointer(), heatPlane.data(), heatPlane.size() * sizeof(float));
        heat->Modified();
    }
};

/// The benchmark's inputs in a fresh folder: a 512 x 512 phantom case and an untrained tiny model.
fs::path writeBenchInputs(const GuiBenchOptions& o)
{
    const fs::path dir = fs::temp_directory_path() / ("weaksight-bench-gui-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    setenv("XDG_DATA_HOME", (dir / "data").c_str(), 1); // a cold heatmap cache

    PhantomOptions phantom;
    phantom.seed = 5;
    phantom.minInPlace = phantom.maxInPlace = 512;
    phantom.sliceThicknesses = {o.sliceThickness};
    phantom.lesionFreeFraction = 0;
    writePhantomDataset(phantom, dir / "cases", 1);
    compute::ModelDescription tiny;
    tiny.architecture = "tiny";
    tiny.targetLayer = compute::defaultTargetLayer("tiny");
    compute::Classifier::create(tiny, 1).save((dir / "tiny.wsm").string());
    return dir;
}

struct OpeningTimes {
    double caseLoadedMs = 0; ///< the case read and shown
    double firstImageMs = 0; ///< its first frame rendered
};

/// Opening a case: from the call to the first frame that shows it.
OpeningTimes openCase(ui::MainWindow& window, const fs::path& cases)
{
    ui::SliceView& view = *window.sliceView();
    int loaded = 0;
    int rendersAtLoad = 0;
    auto firstFrameAt = Clock::now();
    const auto connection = QObject::connect(&window, &ui::MainWindow::caseLoaded, [&] {
        ++loaded;
        firstFrameAt = Clock::now();
        rendersAtLoad = view.renderCount(); // the case's first frame is rendered after this
    });
    const auto openStart = Clock::now();
    window.openPath(QString::fromStdString(cases.string()));
    if (!waitFor([&] { return loaded > 0; }, 60000))
        throw std::runtime_error("the case did not load");
    OpeningTimes times;
    times.caseLoadedMs = ms(firstFrameAt - openStart);
    waitFor([&] { return view.renderCount() > rendersAtLoad; }, 10000);
    times.firstImageMs = ms(Clock::now() - openStart);
    QObject::disconnect(connection); // the lambda refers to this function's locals
    return times;
}

struct HeatmapSlices {
    int centre = 0;          ///< the slice the case opened on
    std::vector<int> slices; ///< up to four either side of it
};

/// Heatmaps of the slices used by the measurements, computed and cached first.
HeatmapSlices cacheHeatmaps(ui::MainWindow& window, const fs::path& model, const int& modelsLoaded)
{
    ui::SliceView& view = *window.sliceView();
    ui::CamController& cams = *window.camController();
    const auto& ct = *window.currentCase()->imaging;
    window.loadModel(QString::fromStdString(model.string()));
    waitFor([&] { return modelsLoaded == 1; }, 30000);
    HeatmapSlices cached;
    cached.centre = view.slice();
    for (int k = std::max(0, cached.centre - 4); k <= std::min(ct.slices() - 1, cached.centre + 4); ++k)
        cached.slices.push_back(k);
    for (int k : cached.slices) {
        view.setSlice(k);
        waitFor([&] { return cams.heatmaps(k) != nullptr; }, 60000);
    }
    cams.cancel(); // no background work during the measurements
    waitFor([&] { return !cams.busy(); }, 60000);
    return cached;
}

/// The bare VTK scene in a window of its own; kept until the benchmark ends, as it always was.
struct BareFloor {
    ui::VtkViewport view;
    std::optional<BareScene> scene;
};

struct UpdateTimes {
    std::vector<double> bare, bareChange, sliceWork, sliceFrame, thresholdWork, thresholdFrame;
    int coalesced = 0; ///< renders after 50 requests in one event-loop turn
};

/// Slice changes and threshold moves in the app against the bare scene's frames, then coalescing.
UpdateTimes measureUpdates(ui::MainWindow& window, BareFloor& floor, const std::vector<int>& slices,
                           const GuiBenchOptions& o)
{
    ui::SliceView& view = *window.sliceView();
    ui::CamController& cams = *window.camController();
    const auto& ct = *window.currentCase()->imaging;
    QSlider* sliceSlider = window.findChild<QToolBar*>("viewToolbar")->findChild<QSlider*>();
    QSlider* threshold = window.findChild<QToolBar*>("heatmapToolbar")->findChild<QSlider*>();

    // The bare VTK scene in a window of the same size, fed the same slices and heatmaps.
    floor.view.setFixedSize(o.viewSize, o.viewSize);
    floor.view.show();
    waitFor([&] { return floor.view.windowHandle() && floor.view.windowHandle()->isExposed(); }, 10000);
    waitMs(200);
    BareScene& bareScene = floor.scene.emplace(floor.view, ct, *cams.heatmaps(slices.front()),
                                               view.scene().renderer()->GetActiveCamera());
    const auto bareFrame = [&](int r) {
        const int k = slices[static_cast<size_t>(r) % slices.size()];
        const auto start = Clock::now();
        bareScene.show(ct, *window.currentCase()->labels, k, *cams.heatmaps(k));
        floor.view.renderImmediately();
        return ms(Clock::now() - start);
    };
    for (int r = 0; r < 3; ++r)
        bareFrame(r); // warm-up

    UpdateTimes t;
    for (int i = 0; i < 3; ++i)
        renderNow(view); // warm-up
    // Interleaved with the bare scene's frames, so both see the same machine load.
    for (int r = 0; r < o.repeats; ++r) {
        t.bareChange.push_back(bareFrame(r));
        t.bare.push_back(renderNow(view));
        // A slice change with cached heatmaps: the app's work is everything the slider's signal
        // does synchronously (scene, label contours, heatmap patches, LUT, IoU); VTK's lazy filters
        // run inside the render, so the whole frame is measured too.
        const int k = slices[static_cast<size_t>(r) % slices.size()];
        auto start = Clock::now();
        sliceSlider->setValue(k == view.slice() ? slices[(static_cast<size_t>(r) + 1) % slices.size()] : k);
        t.sliceWork.push_back(ms(Clock::now() - start));
        t.sliceFrame.push_back(t.sliceWork.back() + renderNow(view));
        // A threshold move (no CAM recomputation).
        start = Clock::now();
        threshold->setValue(r % 2 ? 30 : 70);
        t.thresholdWork.push_back(ms(Clock::now() - start));
        t.thresholdFrame.push_back(t.thresholdWork.back() + renderNow(view));
    }
    floor.view.hide();
    // Coalescing: many requests in one event-loop turn give one render.
    const int before = view.renderCount();
    for (int i = 0; i < 50; ++i)
        view.requestRender();
    waitMs(200);
    t.coalesced = view.renderCount() - before;
    return t;
}

struct PlaneTimes {
    std::vector<double> bareSlice, sliceWork, sliceFrame, bareClick, clickWork, clickFrame;
    int stackedSlices = 0, viewSize = 0;
};

/// The four-view layout: an axial slice change (the coronal and sagittal crosshair lines move) and a
/// click that moves all three planes (two stacked heatmaps rebuilt), against plain VTK drawing the
/// same three planes in viewports of the same size, interleaved.
PlaneTimes measureThreePlanes(ui::MainWindow& window, const std::vector<int>& slices,
                              const GuiBenchOptions& o)
{
    ui::LinkedViews& views = *window.linkedViews();
    ui::CamController& cams = *window.camController();
    const auto& ct = *window.currentCase()->imaging;
    const auto& labelVolume = *window.currentCase()->labels;
    PlaneTimes t;
    t.viewSize = o.viewSize / 2;
    window.sliceView()->setFixedSize(t.viewSize, t.viewSize);
    views.coronal()->setFixedSize(t.viewSize, t.viewSize);
    views.sagittal()->setFixedSize(t.viewSize, t.viewSize);
    window.setViewLayout(ui::LinkedViews::Layout::Grid);
    waitMs(300);
    // Every slice's maps, for the stacks (computed in the background as the layout asks).
    cams.requestSlice(window.sliceView()->slice());
    if (!waitFor(
            [&] {
                const auto maps = cams.heatmapsOfEverySlice();
                return !maps.empty() &&
                       std::all_of(maps.begin(), maps.end(), [](auto* m) { return m != nullptr; });
            },
            600000))
        throw std::runtime_error("the stacked heatmaps were not computed");
    cams.cancel();
    waitFor([&] { return !cams.busy(); }, 60000);
    views.refreshStackedHeatmaps();
    t.stackedSlices = views.stackedSlices(review::ViewPlane::Coronal);

    // Crosshair positions: rows and columns through the kidneys' crops, two apart.
    const auto* maps = cams.heatmaps(slices.front());
    const CropBox box =
        maps && !maps->crops.empty() ? maps->crops.front().box : CropBox{ct.rows() / 2, ct.cols() / 2, 1, 1};
    const auto positionAt = [&](int r) {
        return std::array<int, 3>{slices[static_cast<size_t>(r) % slices.size()],
                                  box.row0 + box.rows / 2 + 2 * (r % 5),
                                  box.col0 + box.cols / 2 + 2 * (r % 5)};
    };

    std::array<ui::VtkViewport, 3> bareViews;
    for (auto& v : bareViews) {
        v.setFixedSize(t.viewSize, t.viewSize);
        v.show();
    }
    waitFor([&] { return bareViews[2].windowHandle() && bareViews[2].windowHandle()->isExposed(); }, 10000);
    waitMs(200);
    BareScene bareAxial(bareViews[0], ct, *cams.heatmaps(slices.front()),
                        views.axial()->scene().renderer()->GetActiveCamera());
    BarePlaneScene bareCoronal(bareViews[1], review::ViewPlane::Coronal, ct,
                               views.coronal()->scene().renderer()->GetActiveCamera());
    BarePlaneScene bareSagittal(bareViews[2], review::ViewPlane::Sagittal, ct,
                                views.sagittal()->scene().renderer()->GetActiveCamera());
    const auto everySlice = cams.heatmapsOfEverySlice();
    const auto stackedPlane = [&](review::ViewPlane plane, int index) {
        return review::stackedHeatmap(
                   plane, index, ct.shape, [&](int k) { return everySlice[static_cast<size_t>(k)]; }, -1.f)
            .heatmap.values;
    };
    const auto renderAll = [&]() {
        return renderNow(*views.axial()) + renderNow(*views.coronal()) + renderNow(*views.sagittal());
    };
    const auto renderBare = [&]() {
        double total = 0;
        for (auto& v : bareViews) {
            const auto start = Clock::now();
            v.renderImmediately();
            total += ms(Clock::now() - start);
        }
        return total;
    };
    QSlider* sliceSlider = window.findChild<QToolBar*>("viewToolbar")->findChild<QSlider*>();
    for (int r = -3; r < o.repeats; ++r) { // three rounds of warm-up
        const auto p = positionAt(r + 3);
        // Bare: an axial slice change, the other two views drawn again (their crosshair moved).
        auto start = Clock::now();
        bareAxial.show(ct, labelVolume, p[0], *cams.heatmaps(p[0]));
        const double bareSlice = ms(Clock::now() - start) + renderBare();
        // Bare: all three planes new (their heatmap planes stacked beforehand, not timed).
        const auto coronalHeat = stackedPlane(review::ViewPlane::Coronal, p[1]);
        const auto sagittalHeat = stackedPlane(review::ViewPlane::Sagittal, p[2]);
        start = Clock::now();
        bareAxial.show(ct, labelVolume, p[0], *cams.heatmaps(p[0]));
        bareCoronal.show(ct, labelVolume, p[1], coronalHeat);
        bareSagittal.show(ct, labelVolume, p[2], sagittalHeat);
        const double bareClick = ms(Clock::now() - start) + renderBare();

        // App: the slider moves the axial slice (cached heatmaps; the crosshair follows).
        const int k =
            p[0] == views.axial()->slice() ? slices[(static_cast<size_t>(r + 4)) % slices.size()] : p[0];
        start = Clock::now();
        sliceSlider->setValue(k);
        const double sliceWork = ms(Clock::now() - start);
        const double sliceFrame = sliceWork + renderAll();
        // App: a click moves every plane (the coronal and sagittal stacks rebuilt).
        start = Clock::now();
        views.setCrosshair(p);
        const double clickWork = ms(Clock::now() - start);
        const double clickFrame = clickWork + renderAll();
        if (r < 0)
            continue;
        t.bareSlice.push_back(bareSlice);
        t.bareClick.push_back(bareClick);
        t.sliceWork.push_back(sliceWork);
        t.sliceFrame.push_back(sliceFrame);
        t.clickWork.push_back(clickWork);
        t.clickFrame.push_back(clickFrame);
    }
    for (auto& v : bareViews)
        v.hide();
    window.setViewLayout(ui::LinkedViews::Layout::Axial);
    window.sliceView()->setFixedSize(o.viewSize, o.viewSize);
    return t;
}

struct BrushTimes {
    std::vector<double> work, frame;
    int renders = 0; ///< renders after 50 moves in one event-loop turn
    long long pixels = 0;
    int steps = 0; ///< undo steps
};

/// Mouse events on the slice view at canonical (row, col) positions of the case.
struct MouseOnView {
    ui::SliceView& view;
    const CtVolume& ct;

    QPointF toWidget(double row, double col) const
    {
        vtkRenderer* renderer = view.scene().renderer();
        renderer->SetWorldPoint(col * ct.spacing[2], row * ct.spacing[1], 0, 1);
        renderer->WorldToDisplay();
        double d[3];
        renderer->GetDisplayPoint(d);
        return QPointF(d[0], view.height() - 1 - d[1]);
    }
    void send(QEvent::Type type, double row, double col, Qt::MouseButtons buttons) const
    {
        const QPointF at = toWidget(row, col);
        QMouseEvent event(type, at, view.mapToGlobal(at),
                          type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton, buttons, Qt::NoModifier);
        QApplication::sendEvent(&view, &event);
    }
};

/// Brush strokes while correcting a proposal: the app's work per mouse-move event (mask update,
/// undo delta at the stroke's end, overlay update; the GL render excluded), and one render per
/// frame however many moves arrive.
BrushTimes measureBrush(ui::MainWindow& window, int centre, int repeats)
{
    ui::SliceView& view = *window.sliceView();
    ui::CamController& cams = *window.camController();
    view.setSlice(centre);
    waitFor([&] { return cams.heatmaps(centre) != nullptr; }, 60000);
    ui::ReviewController& review = *window.reviewController();
    review.setTarget(centre, 0);
    BrushTimes t;
    if (!review.startCorrection())
        return t;
    const auto box = *review.cropBox();
    const MouseOnView mouse{view, *window.currentCase()->imaging};
    view.setBrushRadiusMm(5.0);
    for (int strokeIndex = 0; strokeIndex < 3; ++strokeIndex) {
        const double row = box.row0 + 30 + 40 * strokeIndex;
        mouse.send(QEvent::MouseButtonPress, row, box.col0 + 10, Qt::LeftButton);
        for (int m = 1; m <= repeats; ++m) {
            const auto start = Clock::now();
            mouse.send(QEvent::MouseMove, row + 3 * std::sin(m / 3.0), box.col0 + 10 + m * 4.0,
                       Qt::LeftButton);
            t.work.push_back(ms(Clock::now() - start));
            if (m % 5 == 0)
                t.frame.push_back(t.work.back() + renderNow(view));
        }
        mouse.send(QEvent::MouseButtonRelease, row, box.col0 + 130, Qt::NoButton);
    }
    // 50 moves in one event-loop turn: coalesced into one render.
    const int rendersBefore = view.renderCount();
    mouse.send(QEvent::MouseButtonPress, box.row0 + 20, box.col0 + 20, Qt::LeftButton);
    for (int m = 0; m < 50; ++m)
        mouse.send(QEvent::MouseMove, box.row0 + 20 + m, box.col0 + 20 + m, Qt::LeftButton);
    mouse.send(QEvent::MouseButtonRelease, box.row0 + 70, box.col0 + 70, Qt::NoButton);
    waitMs(200);
    t.renders = view.renderCount() - rendersBefore;
    t.pixels = review.editor()->mask().count();
    t.steps = static_cast<int>(review.editor()->undoSteps());
    review.cancelCorrection();
    return t;
}

struct DecisionTimes {
    std::vector<double> work;  ///< GUI thread: the key's action until the loop runs again
    std::vector<double> saved; ///< until the store's thread has committed it
};

/// Accept (A) on slices whose heatmaps are cached, as a labeller does: the GUI thread's share of
/// a decision (with the advance to the next crop) and the time until the store confirms it.
DecisionTimes measureDecisions(ui::MainWindow& window, const std::vector<int>& slices)
{
    ui::SliceView& view = *window.sliceView();
    ui::CamController& cams = *window.camController();
    ui::ReviewController& review = *window.reviewController();
    window.workspace()->setAnnotator(QStringLiteral("bench"));
    DecisionTimes t;
    Clock::time_point start;
    bool saved = false;
    const auto connection = QObject::connect(&review, &ui::ReviewController::decisionSaved, [&] {
        saved = true;
        t.saved.push_back(ms(Clock::now() - start));
    });
    for (const int slice : slices) {
        view.setSlice(slice);
        if (!waitFor([&] { return cams.heatmaps(slice) != nullptr; }, 60000))
            continue;
        review.setTarget(slice, 0);
        saved = false;
        start = Clock::now();
        if (!review.accept())
            continue;
        t.work.push_back(ms(Clock::now() - start));
        waitFor([&] { return saved; }, 10000);
    }
    QObject::disconnect(connection);
    return t;
}

struct ResidentMemory {
    long rssKb = 0, peakKb = 0;
};

/// Memory with the case open and a ResNet-50 loaded, after one slice of Grad-CAM.
ResidentMemory measureResnet50Memory(ui::MainWindow& window, const fs::path& dir, const int& modelsLoaded,
                                     int centre)
{
    ui::CamController& cams = *window.camController();
    compute::ModelDescription big;
    big.architecture = "resnet50";
    compute::Classifier::create(big, 1).save((dir / "resnet50.wsm").string());
    window.loadModel(QString::fromStdString((dir / "resnet50.wsm").string()));
    waitFor([&] { return modelsLoaded == 2; }, 120000);
    cams.setCropSize(150);
    window.sliceView()->setSlice(centre);
    cams.requestSlice(centre);
    waitFor([&] { return cams.heatmaps(centre) != nullptr; }, 300000);
    cams.cancel();
    waitFor([&] { return !cams.busy(); }, 300000);
    return {statusKb("VmRSS:"), statusKb("VmHWM:")};
}

void printReport(const GuiBenchOptions& o, const CtVolume& ct, const OpeningTimes& opening,
                 const UpdateTimes& updates, const PlaneTimes& planes, const BrushTimes& brush,
                 const DecisionTimes& decisions, const ResidentMemory& memory)
{
    const double bareMs = median(updates.bare);
    const double floorMs = median(updates.bareChange);
    std::cout
        << fmt::format(
               "weaksight bench gui: case {}x{}x{} (axial x rows x cols), view {}x{} px, {} repeats\n",
               ct.slices(), ct.rows(), ct.cols(), o.viewSize, o.viewSize, o.repeats)
        << fmt::format(
               "  first image after opening the case  {:8.0f} ms   (target <= 2000; case read and shown "
               "after {:.0f} ms)\n",
               opening.firstImageMs, opening.caseLoadedMs)
        << fmt::format("  bare VTK frame of the same scene    {:8.2f} ms   (plain VTK: new slice, heatmap, "
                       "colour bar, "
                       "label contours, proposal, boxes)\n",
                       floorMs)
        << fmt::format("  app frame, nothing changed          {:8.2f} ms\n", bareMs)
        << fmt::format(
               "  slice change, cached heatmap: app work {:6.2f} ms (target <= 5), frame {:6.2f} ms = "
               "{:.2f} x bare (target <= 1.2, <= 35 ms)\n",
               median(updates.sliceWork), median(updates.sliceFrame), median(updates.sliceFrame) / floorMs)
        << fmt::format(
               "  threshold move:               app work {:6.2f} ms (target <= 5), frame {:6.2f} ms = "
               "{:.2f} x app frame unchanged (target <= 1.2, <= 35 ms)\n",
               median(updates.thresholdWork), median(updates.thresholdFrame),
               median(updates.thresholdFrame) / bareMs)
        << fmt::format("  50 render requests in one turn -> {} render(s)\n", updates.coalesced)
        << fmt::format(
               "  four views (axial, sagittal, coronal, 3D), three planes of {}x{} px each, {} slices' maps "
               "stacked in the coronal view:\n",
               planes.viewSize, planes.viewSize, planes.stackedSlices)
        << fmt::format(
               "    axial slice change (crosshair moves in the others): app work {:6.2f} ms (target <= 5), "
               "three views' frame {:6.2f} ms = {:.2f} x bare VTK's three planes ({:.2f} ms; target <= "
               "1.2)\n",
               median(planes.sliceWork), median(planes.sliceFrame),
               median(planes.sliceFrame) / median(planes.bareSlice), median(planes.bareSlice))
        << fmt::format(
               "    click moving all three planes (two stacks rebuilt): app work {:6.2f} ms (target <= 5), "
               "frame {:6.2f} ms = {:.2f} x bare VTK's three new planes ({:.2f} ms; target <= 1.2)\n",
               median(planes.clickWork), median(planes.clickFrame),
               median(planes.clickFrame) / median(planes.bareClick), median(planes.bareClick))
        << fmt::format(
               "  brush stroke over a 150 x 150 crop (the whole slice is the canvas): app work per mouse "
               "move {:.3f} ms (p95 {:.3f}; target <= 2), "
               "frame {:.2f} ms = {:.2f} x bare; 50 moves in one turn -> {} render(s); {} pixels painted "
               "in {} undo steps\n",
               median(brush.work), percentile(brush.work, 0.95), median(brush.frame),
               median(brush.frame) / floorMs, brush.renders, brush.pixels, brush.steps)
        << fmt::format("  decision (A, with the advance): GUI thread {:.2f} ms (p95 {:.2f}), saved by the "
                       "store's thread after {:.2f} ms ({} decisions)\n",
                       median(decisions.work), percentile(decisions.work, 0.95), median(decisions.saved),
                       decisions.saved.size());
    if (!o.skipResnet50)
        std::cout << fmt::format(
            "  resident memory, case + ResNet-50 + one slice of Grad-CAM: {:.0f} MB (peak {:.0f} MB; "
            "target <= 2048)\n",
            memory.rssKb / 1024.0, memory.peakKb / 1024.0);
}

} // namespace

int runGuiBench(const GuiBenchOptions& o, int argc, char** argv)
{
    if (!displayAvailable("bench gui"))
        return 2;
    configureOpenGlFormat();
    QApplication application(argc, argv);
    QApplication::setOrganizationName("WeaksightBench");
    const fs::path dir = writeBenchInputs(o);

    ui::MainWindow window;
    ui::SliceView& view = *window.sliceView();
    view.setFixedSize(o.viewSize, o.viewSize);
    window.show();
    if (!waitFor([&] { return window.windowHandle() && window.windowHandle()->isExposed(); }, 10000))
        throw std::runtime_error("no window: run under xvfb-run");
    waitMs(300);

    const OpeningTimes opening = openCase(window, dir / "cases");
    int modelsLoaded = 0;
    QObject::connect(window.camController(), &ui::CamController::modelLoaded,
                     [&modelsLoaded] { ++modelsLoaded; });
    const HeatmapSlices cached = cacheHeatmaps(window, dir / "tiny.wsm", modelsLoaded);
    BareFloor bareFloor;
    const UpdateTimes updates = measureUpdates(window, bareFloor, cached.slices, o);
    const PlaneTimes planes = measureThreePlanes(window, cached.slices, o);
    const BrushTimes brush = measureBrush(window, cached.centre, o.repeats);
    const DecisionTimes decisions = measureDecisions(window, cached.slices);
    ResidentMemory memory;
    if (!o.skipResnet50)
        memory = measureResnet50Memory(window, dir, modelsLoaded, cached.centre);

    printReport(o, *window.currentCase()->imaging, opening, updates, planes, brush, decisions, memory);
    window.close();
    std::error_code ec;
    fs::remove_all(dir, ec);
    return 0;
}

} // namespace weaksight::app

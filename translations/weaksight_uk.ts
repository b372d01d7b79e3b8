<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="uk_UA">
<context>
    <name>QObject</name>
    <message>
        <location filename="../ui/StoreOwner.h" line="137"/>
        <source>No dataset is open.</source>
        <translation>Жоден набір даних не відкрито.</translation>
    </message>
</context>
<context>
    <name>weaksight::ui</name>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="79"/>
        <source>threshold t (proposal = normalised map &gt; t)</source>
        <translation>поріг t (пропозиція = нормалізована карта &gt; t)</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="83"/>
        <source>mean IoU</source>
        <translation>середній IoU</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="89"/>
        <source>IoU against threshold: validation (solid), test (dashed)</source>
        <translation>IoU залежно від порогу: валідація (суцільна лінія), тест (штрихова)</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="147"/>
        <source>test IoU (mean over crops) with its patient-level 95 % interval</source>
        <translation>IoU на тесті (середнє за кропами) з 95 % інтервалом на рівні пацієнтів</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="151"/>
        <source>Test IoU per method and proposal</source>
        <translation>IoU на тесті за методом і пропозицією</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="167"/>
        <location filename="../ui/figures/ReportFigures.cpp" line="302"/>
        <source>n/a</source>
        <translation>н/д</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="195"/>
        <source>no lesion</source>
        <translation>без ураження</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="195"/>
        <source>lesion</source>
        <translation>ураження</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="201"/>
        <source>predicted</source>
        <translation>прогноз</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="205"/>
        <source>true </source>
        <translation>фактично </translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="243"/>
        <source>CT crop</source>
        <translation>Фрагмент КТ</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="253"/>
        <source>no correctly classified lesion crop in test</source>
        <translation>у тестовій вибірці немає правильно класифікованих фрагментів з ураженням</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="263"/>
        <source>side</source>
        <translation>бік</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::CamController</name>
    <message>
        <location filename="../ui/CamController.cpp" line="145"/>
        <source>%1 (%2, %3, %4)</source>
        <translation>%1 (%2, %3, %4)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="159"/>
        <source>Not enough memory to load the model %1.</source>
        <translation>Недостатньо пам’яті для завантаження моделі %1.</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="174"/>
        <source>U-Net %1 (%2, %3)</source>
        <translation>U-Net %1 (%2, %3)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="180"/>
        <source>Not enough memory to load the U-Net %1.</source>
        <translation>Недостатньо пам’яті, щоб завантажити U-Net %1.</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="370"/>
        <source>crops resampled to the model&apos;s %1 mm pixels (this scan&apos;s are %2 mm): each %3-pixel crop is cut from %4 x %5 scan pixels, %6 mm across</source>
        <translation>фрагменти перераховано на пікселі моделі %1 мм (у цього скану %2 мм): кожен фрагмент у %3 пікселів вирізано з %4 x %5 пікселів скану, %6 мм завширшки</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="387"/>
        <source>U-Net
(lesion probability)</source>
        <translation>U-Net
(імовірність ураження)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="393"/>
        <source>%1
(per crop)</source>
        <translation>%1
(на фрагмент)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="396"/>
        <source>%1
(per volume)</source>
        <translation>%1
(на об’єм)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="397"/>
        <source>%1
(per volume,
raw %2–%3)</source>
        <translation>%1
(на об’єм,
сирі %2–%3)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="403"/>
        <source>%1
(raw values)</source>
        <translation>%1
(сирі значення)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="695"/>
        <source>lesion probability: slice %1 of 0–%2</source>
        <translation>імовірність ураження: зріз %1 з 0–%2</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="749"/>
        <source>U-Net</source>
        <translation>U-Net</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="784"/>
        <source>%1 per volume: crop %2 of %3</source>
        <translation>%1 на об’єм: фрагмент %2 з %3</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="786"/>
        <source>%1 for the coronal and sagittal views: slice %2</source>
        <translation>%1 для корональної та сагітальної проєкцій: зріз %2</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="787"/>
        <source>%1: crop %2 of %3, slice %4</source>
        <translation>%1: фрагмент %2 з %3, зріз %4</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="731"/>
        <source>%1 (masked inputs %2 of %3)</source>
        <translation>%1 (замасковані входи: %2 з %3)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="649"/>
        <source>Out of memory while computing heatmaps.</source>
        <translation>Недостатньо пам’яті під час обчислення теплових карт.</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::CaseBrowser</name>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="20"/>
        <source>All cases</source>
        <translation>Усі випадки</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="21"/>
        <source>Not started</source>
        <translation>Не розпочаті</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="22"/>
        <source>In progress</source>
        <translation>У роботі</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="23"/>
        <source>Done</source>
        <translation>Завершені</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="24"/>
        <source>With ground truth</source>
        <translation>З еталонною розміткою</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="25"/>
        <source>Without ground truth</source>
        <translation>Без еталонної розмітки</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="29"/>
        <source>not started</source>
        <translation>не розпочато</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="30"/>
        <source>in progress</source>
        <translation>у роботі</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="31"/>
        <source>done</source>
        <translation>завершено</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="41"/>
        <source>Filter cases…</source>
        <translation>Фільтр випадків…</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="147"/>
        <source> (labels only)</source>
        <translation> (лише мітки)</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="149"/>
        <source> (imaging only)</source>
        <translation> (лише зображення)</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="153"/>
        <source> %1/%2 lesion slices</source>
        <translation> %1/%2 зрізів з ураженням</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="155"/>
        <source>  — %1%2</source>
        <translation>  — %1%2</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="160"/>
        <source>
Status: %1 (%2 decisions: %3 accepted, %4 corrected, %5 rejected)</source>
        <translation>
Стан: %1 (рішень: %2; прийнято %3, виправлено %4, відхилено %5)</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="167"/>
        <source>
%1 of its %2 lesion slices decided</source>
        <translation>
Вирішено %1 з %2 зрізів з ураженням</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="168"/>
        <source>
Its lesion slices are counted at its first decision</source>
        <translation>
Зрізи з ураженням буде пораховано з першим рішенням</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="207"/>
        <source>%1 of %2 cases shown, %3 done</source>
        <translation>Показано випадків: %1 з %2, завершено: %3</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::ComparisonView</name>
    <message>
        <location filename="../ui/ComparisonView.cpp" line="66"/>
        <source>This pane&apos;s proposal: the map above its threshold, or refined with the CT</source>
        <translation>Пропозиція цієї панелі: карта понад її поріг або уточнена за КТ</translation>
    </message>
    <message>
        <location filename="../ui/ComparisonView.cpp" line="106"/>
        <source>: failed — </source>
        <translation>: помилка — </translation>
    </message>
    <message>
        <location filename="../ui/ComparisonView.cpp" line="320"/>
        <source>U-Net</source>
        <translation>U-Net</translation>
    </message>
    <message>
        <location filename="../ui/ComparisonView.cpp" line="323"/>
        <source> (approximate)</source>
        <translation> (наближено)</translation>
    </message>
    <message>
        <location filename="../ui/ComparisonView.cpp" line="327"/>
        <source>  t %1</source>
        <translation>  t %1</translation>
    </message>
    <message>
        <location filename="../ui/ComparisonView.cpp" line="332"/>
        <source>  IoU %1</source>
        <translation>  IoU %1</translation>
    </message>
    <message>
        <location filename="../ui/ComparisonView.cpp" line="334"/>
        <source>  (computing…)</source>
        <translation>  (обчислення…)</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::Dashboard</name>
    <message>
        <location filename="../ui/Dashboard.cpp" line="116"/>
        <source>IoU per method and threshold</source>
        <translation>IoU за методами та порогами</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="117"/>
        <source>Pixels changed per correction, per method</source>
        <translation>Змінені пікселі на виправлення, за методом</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="118"/>
        <source>Seconds per decision, per method</source>
        <translation>Секунди на рішення, за методом</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="119"/>
        <source>Progress per case</source>
        <translation>Прогрес за випадками</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="123"/>
        <source>Method</source>
        <translation>Метод</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="123"/>
        <source>Decisions</source>
        <translation>Рішення</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="123"/>
        <source>Learned threshold</source>
        <translation>Вивчений поріг</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="123"/>
        <source>Pixels to correct</source>
        <translation>Пікселів для виправлення</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="127"/>
        <source>Export curated masks…</source>
        <translation>Експортувати затверджені маски…</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="131"/>
        <source>&lt;b&gt;Learned threshold&lt;/b&gt; (the least correction of the final masks so far)</source>
        <translation>&lt;b&gt;Вивчений поріг&lt;/b&gt; (найменший обсяг виправлень до остаточних масок на цей момент)</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="203"/>
        <source>Store unavailable: %1</source>
        <translation>Сховище анотацій недоступне: %1</translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/Dashboard.cpp" line="209"/>
        <source>%1: %n decision(s)</source>
        <translation>
            <numerusform>%1: %n рішення</numerusform>
            <numerusform>%1: %n рішення</numerusform>
            <numerusform>%1: %n рішень</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="211"/>
        <source>, %1 min</source>
        <translation>, %1 хв</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="213"/>
        <source>%1 of %2 decided in %3 by %4.</source>
        <translation>Вирішено %1 з %2 у %3; анотатори: %4.</translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/Dashboard.cpp" line="215"/>
        <source>%n proposal(s)</source>
        <translation>
            <numerusform>%n пропозиції</numerusform>
            <numerusform>%n пропозицій</numerusform>
            <numerusform>%n пропозицій</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/Dashboard.cpp" line="216"/>
        <source>%n case(s)</source>
        <translation>
            <numerusform>%n випадку</numerusform>
            <numerusform>%n випадках</numerusform>
            <numerusform>%n випадках</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../ui/Dashboard.cpp" line="217"/>
        <source>%n annotator(s)</source>
        <translation>
            <numerusform>%n анотатор</numerusform>
            <numerusform>%n анотатори</numerusform>
            <numerusform>%n анотаторів</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="232"/>
        <source>%1 vs truth</source>
        <translation>%1 відносно еталонної розмітки</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="234"/>
        <source>%1 vs final</source>
        <translation>%1 відносно остаточної маски</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="243"/>
        <source>threshold</source>
        <translation>поріг</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="246"/>
        <source>mean IoU</source>
        <translation>середній IoU</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="267"/>
        <source>pixels changed per correction</source>
        <translation>змінених пікселів на виправлення</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="268"/>
        <source>seconds per decision</source>
        <translation>секунд на рішення</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="283"/>
        <source>decided</source>
        <translation>вирішені</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="284"/>
        <source>open</source>
        <translation>невирішені</translation>
    </message>
    <message>
        <location filename="../ui/Dashboard.cpp" line="303"/>
        <source>Use</source>
        <translation>Застосувати</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::DashboardDock</name>
    <message>
        <location filename="../ui/Dashboard.cpp" line="314"/>
        <source>Dashboard</source>
        <translation>Панель показників</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::DemoPreparation</name>
    <message>
        <location filename="../ui/DemoPreparation.cpp" line="27"/>
        <source>Generating synthetic CT cases: %1 of %2</source>
        <translation>Створення синтетичних випадків КТ: %1 з %2</translation>
    </message>
    <message>
        <location filename="../ui/DemoPreparation.cpp" line="28"/>
        <source>Cutting kidney crops: case %1 of %2</source>
        <translation>Вирізання фрагментів нирок: випадок %1 з %2</translation>
    </message>
    <message>
        <location filename="../ui/DemoPreparation.cpp" line="29"/>
        <source>Training the demo classifier: %1 %</source>
        <translation>Навчання демонстраційного класифікатора: %1 %</translation>
    </message>
    <message>
        <location filename="../ui/DemoPreparation.cpp" line="36"/>
        <source>  (%1 s)</source>
        <translation>  (%1 с)</translation>
    </message>
    <message>
        <location filename="../ui/DemoPreparation.cpp" line="42"/>
        <source>Preparing the demo…</source>
        <translation>Підготовка демонстрації…</translation>
    </message>
    <message>
        <location filename="../ui/DemoPreparation.cpp" line="42"/>
        <source>Cancel</source>
        <translation>Скасувати</translation>
    </message>
    <message>
        <location filename="../ui/DemoPreparation.cpp" line="43"/>
        <source>Weaksight demo</source>
        <translation>Демонстрація Weaksight</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::ExportDialog</name>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="21"/>
        <source>Export curated masks</source>
        <translation>Експорт затверджених масок</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="24"/>
        <source>NIfTI label volumes + provenance</source>
        <translation>Об’єми міток NIfTI + дані про походження</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="25"/>
        <source>PNG per slice</source>
        <translation>PNG для кожного зрізу</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="26"/>
        <source>3D Slicer (.seg.nrrd)</source>
        <translation>3D Slicer (.seg.nrrd)</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="28"/>
        <source>DICOM SEG</source>
        <translation>DICOM SEG</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="30"/>
        <source>COCO (RLE) with the slice images</source>
        <translation>COCO (RLE) із зображеннями зрізів</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="38"/>
        <source>Formats:</source>
        <translation>Формати:</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="40"/>
        <source>accepted</source>
        <translation>прийняті</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="41"/>
        <source>corrected</source>
        <translation>виправлені</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="46"/>
        <source>Decisions:</source>
        <translation>Рішення:</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="48"/>
        <source>all cases</source>
        <translation>усі випадки</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="49"/>
        <source>this case (%1)</source>
        <translation>цей випадок (%1)</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="54"/>
        <source>Cases:</source>
        <translation>Випадки:</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="57"/>
        <source>Choose…</source>
        <translation>Вибрати…</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="60"/>
        <source>Folder:</source>
        <translation>Тека:</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="62"/>
        <source>Export into</source>
        <translation>Експортувати в теку</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="74"/>
        <source>Export</source>
        <translation>Експортувати</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="85"/>
        <source>Export failed: %1</source>
        <translation>Помилка експорту: %1</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="86"/>
        <source>there is no annotation store yet.</source>
        <translation>сховища анотацій ще немає.</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="92"/>
        <source>Wrote %1 files: %2 cases, %3 slices, %4 decisions (%5 older decisions superseded).</source>
        <translation>Записано файлів: %1; випадків: %2, зрізів: %3, рішень: %4 (замінено давніших рішень: %5).</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="141"/>
        <source>Choose a folder, at least one format and at least one kind of decision.</source>
        <translation>Виберіть теку, щонайменше один формат і щонайменше один тип рішень.</translation>
    </message>
    <message>
        <location filename="../ui/ExportDialog.cpp" line="145"/>
        <source>Exporting…</source>
        <translation>Експорт…</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::HeatmapToolbar</name>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="58"/>
        <source>Kidney contour (ground truth)</source>
        <translation>Контур нирки (еталонна розмітка)</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="59"/>
        <source>Tumour contour (ground truth)</source>
        <translation>Контур пухлини (еталонна розмітка)</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="60"/>
        <source>Cyst contour (ground truth)</source>
        <translation>Контур кісти (еталонна розмітка)</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="111"/>
        <source>Heatmaps</source>
        <translation>Теплові карти</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="115"/>
        <source>Load model…</source>
        <translation>Завантажити модель…</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="116"/>
        <source>Load a classifier</source>
        <translation>Завантажити класифікатор</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="117"/>
        <source>Models (*.wsm *.pt *.pth);;All files (*)</source>
        <translation>Моделі (*.wsm *.pt *.pth);;Усі файли (*)</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="121"/>
        <source>Load U-Net…</source>
        <translation>Завантажити U-Net…</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="123"/>
        <source>Load a U-Net (evaluate --proposals all saves them)</source>
        <translation>Завантажити U-Net (їх зберігає evaluate --proposals all)</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="124"/>
        <source>U-Nets (*.wss);;All files (*)</source>
        <translation>U-Net (*.wss);;Усі файли (*)</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="130"/>
        <source>A U-Net&apos;s lesion probability as a proposal in the method list, on the classifier&apos;s crops</source>
        <translation>Імовірність ураження від U-Net як пропозиція у списку методів, на кропах класифікатора</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="131"/>
        <location filename="../ui/HeatmapToolbar.cpp" line="401"/>
        <source>no model</source>
        <translation>модель не завантажено</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="138"/>
        <source>%1 (approximate)</source>
        <translation>%1 (наближено)</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="148"/>
        <source>Target layer: earlier stages give finer maps (CAM itself needs the last stage)</source>
        <translation>Цільовий шар: ранніші етапи дають детальніші карти (для самого CAM потрібен останній етап)</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="152"/>
        <source>per crop</source>
        <translation>на фрагмент</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="153"/>
        <source>per volume</source>
        <translation>на об’єм</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="154"/>
        <source>raw values</source>
        <translation>сирі значення</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="156"/>
        <source>Heatmap normalisation: min-max per crop, one min-max over the whole case, or none</source>
        <translation>Нормалізація теплової карти: min-max на фрагмент, один min-max для всього випадку або без нормалізації</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="162"/>
        <source> px</source>
        <translation> пікс.</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="164"/>
        <source>Kidney crop size (a model&apos;s own, from its training record, is set when it loads)</source>
        <translation>Розмір фрагмента нирки (власний розмір моделі з її журналу навчання встановлюється під час завантаження)</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="166"/>
        <source> threshold </source>
        <translation> поріг </translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="175"/>
        <source>IoU of the proposal with the ground-truth lesion inside the crop boxes</source>
        <translation>IoU пропозиції з ураженням за еталонною розміткою в межах рамок фрагментів</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="182"/>
        <source>map &gt; t</source>
        <translation>мапа &gt; t</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="183"/>
        <source>anatomy</source>
        <translation>анатомія</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="184"/>
        <source>region growing</source>
        <translation>нарощування області</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="185"/>
        <source>watershed</source>
        <translation>вододіл</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="196"/>
        <source>Proposal: the map above the threshold, or refined with the CT: within the kidney and the lesion HU band (anatomy), grown from the map&apos;s peak (region growing), or flooded from markers (watershed); the threshold is the refinement&apos;s level</source>
        <translation>Пропозиція: мапа вище порогу або уточнена за КТ: у межах нирки й діапазону HU уражень (анатомія), нарощена від піку мапи (нарощування області) або затоплена від маркерів (вододіл); поріг — рівень уточнення</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="214"/>
        <source>Cancel</source>
        <translation>Скасувати</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="231"/>
        <source>Overlay</source>
        <translation>Накладання</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="235"/>
        <source> opacity </source>
        <translation> непрозорість </translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="246"/>
        <location filename="../ui/HeatmapToolbar.cpp" line="292"/>
        <source>Heatmap</source>
        <translation>Теплова карта</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="247"/>
        <source>Proposal</source>
        <translation>Пропозиція</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="248"/>
        <location filename="../ui/HeatmapToolbar.cpp" line="282"/>
        <source>Crop boxes</source>
        <translation>Рамки фрагментів</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="260"/>
        <source>Overlays</source>
        <translation>Накладання</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="269"/>
        <source> proposal </source>
        <translation> пропозиція </translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="279"/>
        <source>&lt;b&gt;Overlay&lt;/b&gt;</source>
        <translation>&lt;b&gt;Накладання&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="280"/>
        <source>&lt;b&gt;Opacity&lt;/b&gt;</source>
        <translation>&lt;b&gt;Непрозорість&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="287"/>
        <source>Proposal contour</source>
        <translation>Контур пропозиції</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="396"/>
        <source>The U-Net could not be loaded: %1</source>
        <translation>Не вдалося завантажити U-Net: %1</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="398"/>
        <source>U-Net not loaded</source>
        <translation>U-Net не завантажено</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="405"/>
        <source>Heatmaps failed: %1</source>
        <translation>Не вдалося обчислити теплові карти: %1</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="407"/>
        <source>Heatmaps failed</source>
        <translation>Не вдалося обчислити теплові карти</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="425"/>
        <source>U-Net</source>
        <translation>U-Net</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="427"/>
        <source>Loaded %1: choose &quot;U-Net&quot; in the method list</source>
        <translation>Завантажено %1: виберіть «U-Net» у списку методів</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="453"/>
        <source>Score-CAM in &amp;reduced precision</source>
        <translation>Score-CAM зі &amp;зниженою точністю</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="457"/>
        <source>Score-CAM&apos;s masked forward passes in float16 on a GPU (about twice as fast); bfloat16 on a CPU, where it is slower. Maps differ slightly and are cached apart.</source>
        <translation>Прямі проходи Score-CAM з масками у float16 на GPU (приблизно вдвічі швидше); bfloat16 на CPU, де це повільніше. Карти трохи відрізняються і кешуються окремо.</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="464"/>
        <source>Smooth Grad-CAM++ &amp;noise and samples…</source>
        <translation>&amp;Шум і вибірки Smooth Grad-CAM++…</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="468"/>
        <source>CAM &amp;definitions</source>
        <translation>&amp;Визначення CAM</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="475"/>
        <source>Weaksight (documented)</source>
        <translation>Weaksight (задокументовані)</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="516"/>
        <source>Smooth Grad-CAM++</source>
        <translation>Smooth Grad-CAM++</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="526"/>
        <source>Standard deviation of the noise added to the crop&apos;s [0, 1] input; 0.1–0.2 gives smoother maps than the default 0.3 on small models</source>
        <translation>Стандартне відхилення шуму, доданого до входу фрагмента в [0, 1]; 0.1–0.2 дає гладші карти, ніж типове 0.3, на малих моделях</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="528"/>
        <source>Noisy copies per crop</source>
        <translation>Зашумлених копій на фрагмент</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="529"/>
        <source>Noise (σ)</source>
        <translation>Шум (σ)</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="563"/>
        <source>loading %1…</source>
        <translation>завантаження %1…</translation>
    </message>
    <message>
        <location filename="../ui/HeatmapToolbar.cpp" line="576"/>
        <source> IoU %1 </source>
        <translation> IoU %1 </translation>
    </message>
</context>
<context>
    <name>weaksight::ui::KeyHelpOverlay</name>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="19"/>
        <source>(none)</source>
        <translation>(немає)</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="22"/>
        <source>Next / previous slice</source>
        <translation>Наступний / попередній зріз</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="22"/>
        <source>Wheel, Up / Down</source>
        <translation>Коліщатко, Вгору / Вниз</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="23"/>
        <source>Ten slices on / back</source>
        <translation>На десять зрізів уперед / назад</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="23"/>
        <source>Page Up / Page Down</source>
        <translation>Page Up / Page Down</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="24"/>
        <source>First / last slice</source>
        <translation>Перший / останній зріз</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="24"/>
        <source>Home / End</source>
        <translation>Home / End</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="25"/>
        <source>Window / level</source>
        <translation>Вікно / рівень</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="25"/>
        <source>Left-drag</source>
        <translation>Перетягування лівою кнопкою</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="26"/>
        <source>Right-drag, Ctrl+wheel</source>
        <translation>Перетягування правою кнопкою, Ctrl+коліщатко</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="28"/>
        <source>Pan</source>
        <translation>Зсув</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="28"/>
        <source>Middle-drag</source>
        <translation>Перетягування середньою кнопкою</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="29"/>
        <source>Place that side&apos;s crop here (every slice)</source>
        <translation>Поставити кроп цього боку тут (на всіх зрізах)</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="29"/>
        <source>Ctrl+left-click</source>
        <translation>Ctrl+клацання лівою кнопкою</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="30"/>
        <source>Resize the crop under review</source>
        <translation>Змінити розмір кропу, що переглядається</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="30"/>
        <source>Ctrl+Shift+left-drag</source>
        <translation>Ctrl+Shift+перетягування лівою кнопкою</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="31"/>
        <source>Brush / eraser (correcting)</source>
        <translation>Пензель / гумка (під час виправлення)</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="31"/>
        <source>Left-drag / Shift+left-drag</source>
        <translation>Перетягування лівою кнопкою / Shift+перетягування лівою</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="32"/>
        <source>Brush size (correcting)</source>
        <translation>Розмір пензля (під час виправлення)</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="32"/>
        <source>Shift+wheel</source>
        <translation>Shift+коліщатко</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="33"/>
        <source>Polygon corner (polygon tool)</source>
        <translation>Вершина багатокутника (інструмент багатокутника)</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="27"/>
        <location filename="../ui/KeyHelpOverlay.cpp" line="33"/>
        <source>Left-click</source>
        <translation>Клацання лівою кнопкою</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="26"/>
        <source>Zoom (about the cursor)</source>
        <translation>Масштаб (навколо курсора)</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="27"/>
        <source>Move the crosshair (every view to that point)</source>
        <translation>Перемістити перехрестя (усі проєкції до цієї точки)</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="34"/>
        <source>Discard a correction with edits</source>
        <translation>Скасувати виправлення зі змінами</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="34"/>
        <source>Esc twice</source>
        <translation>Esc двічі</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="35"/>
        <source>Rotate / zoom the 3D view</source>
        <translation>Обертати / масштабувати 3D-вигляд</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="35"/>
        <source>Left-drag / wheel</source>
        <translation>Перетягування лівою кнопкою / коліщатко</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="36"/>
        <source>Open a dataset or case folder</source>
        <translation>Відкрити набір даних або теку випадку</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="38"/>
        <source>Settings</source>
        <translation>Налаштування</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="40"/>
        <source>Quit</source>
        <translation>Вийти</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="42"/>
        <source>This help</source>
        <translation>Ця довідка</translation>
    </message>
    <message>
        <location filename="../ui/KeyHelpOverlay.cpp" line="86"/>
        <source>Keyboard shortcuts (any key closes; File › Settings re-binds them)</source>
        <translation>Клавіатурні скорочення (будь-яка клавіша закриває; змінити їх можна в меню Файл › Налаштування)</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::LinkedViews</name>
    <message>
        <location filename="../ui/LinkedViews.cpp" line="50"/>
        <source>3D</source>
        <translation>3D</translation>
    </message>
    <message>
        <location filename="../ui/LinkedViews.cpp" line="254"/>
        <source>Axial — slice %1 (%2 mm)</source>
        <translation>Аксіальна — зріз %1 (%2 мм)</translation>
    </message>
    <message>
        <location filename="../ui/LinkedViews.cpp" line="256"/>
        <source>Coronal — row %1 (%2 mm)</source>
        <translation>Корональна — рядок %1 (%2 мм)</translation>
    </message>
    <message>
        <location filename="../ui/LinkedViews.cpp" line="258"/>
        <source>Sagittal — column %1 (%2 mm)</source>
        <translation>Сагітальна — стовпець %1 (%2 мм)</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::MainWindow</name>
    <message>
        <location filename="../ui/MainWindow.cpp" line="47"/>
        <source>Weaksight</source>
        <translation>Weaksight</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="105"/>
        <source>&amp;File</source>
        <translation>&amp;Файл</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="107"/>
        <source>Open &amp;dataset or case folder…</source>
        <translation>Відкрити набір &amp;даних або теку випадку…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="115"/>
        <source>Open &amp;volume file…</source>
        <translation>Відкрити файл &amp;об’єму…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="122"/>
        <source>Load &amp;segmentation…</source>
        <translation>Завантажити &amp;сегментацію…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="124"/>
        <source>Load a segmentation of this CT</source>
        <translation>Завантажити сегментацію цієї КТ</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="125"/>
        <source>Label volumes (*.nii *.nii.gz *.nrrd *.seg.nrrd *.nhdr *.mha *.mhd);;All files (*)</source>
        <translation>Об’єми міток (*.nii *.nii.gz *.nrrd *.seg.nrrd *.nhdr *.mha *.mhd);;Усі файли (*)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="129"/>
        <source>Load label &amp;table…</source>
        <translation>Завантажити &amp;таблицю міток…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="131"/>
        <source>What the segmentation&apos;s values mean</source>
        <translation>Що означають значення сегментації</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="132"/>
        <source>Label tables (*.json *.label *.txt *.seg.nrrd);;All files (*)</source>
        <translation>Таблиці міток (*.json *.label *.txt *.seg.nrrd);;Усі файли (*)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="136"/>
        <source>Open &amp;recent</source>
        <translation>Відкрити &amp;недавні</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="142"/>
        <source>(none yet)</source>
        <translation>(поки що немає)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="144"/>
        <source>Open d&amp;emo dataset</source>
        <translation>Відкрити де&amp;монстраційний набір даних</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="145"/>
        <source>E&amp;xport curated masks…</source>
        <translation>&amp;Експортувати затверджені маски…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="148"/>
        <source>&amp;Settings…</source>
        <translation>&amp;Налаштування…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="152"/>
        <source>The new language applies when Weaksight starts again.</source>
        <translation>Нова мова застосується після перезапуску Weaksight.</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="156"/>
        <source>&amp;Quit</source>
        <translation>&amp;Вийти</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="161"/>
        <source>&amp;Navigate</source>
        <translation>&amp;Навігація</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="165"/>
        <source>&amp;Next slice with lesion</source>
        <translation>&amp;Наступний зріз з ураженням</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="168"/>
        <source>&amp;Previous slice with lesion</source>
        <translation>&amp;Попередній зріз з ураженням</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="171"/>
        <source>&amp;Reset view</source>
        <translation>&amp;Скинути вигляд</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="182"/>
        <source>&amp;Compare methods side by side</source>
        <translation>Порівняти &amp;методи пліч-о-пліч</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="239"/>
        <source>One view: &amp;axial</source>
        <translation>Одна проєкція: &amp;аксіальна</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="240"/>
        <source>One view: &amp;coronal</source>
        <translation>Одна проєкція: &amp;корональна</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="241"/>
        <source>One view: &amp;sagittal</source>
        <translation>Одна проєкція: &amp;сагітальна</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="242"/>
        <source>&amp;Four views (axial, sagittal, coronal, 3D)</source>
        <translation>&amp;Чотири проєкції (аксіальна, сагітальна, корональна, 3D)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="262"/>
        <source>Cross&amp;hair</source>
        <translation>Пере&amp;хрестя</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="347"/>
        <source>Scale: %1</source>
        <translation>Масштаб: %1</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="191"/>
        <source>Cases</source>
        <translation>Випадки</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="226"/>
        <source>&amp;3D view</source>
        <translation>&amp;3D-вигляд</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="224"/>
        <source>&amp;View</source>
        <translation>&amp;Вигляд</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="231"/>
        <source>&amp;Dashboard</source>
        <translation>&amp;Панель показників</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="216"/>
        <source>%1: threshold %2 (learned from the final masks)</source>
        <translation>%1: поріг %2 (вивчений за остаточними масками)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="88"/>
        <source>Open a KiTS dataset, a case folder or a volume (File menu).</source>
        <translation>Відкрийте набір даних KiTS, теку випадку або об’єм (меню «Файл»).</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="305"/>
        <source>Model loaded: %1</source>
        <translation>Модель завантажено: %1</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="310"/>
        <source>Cannot load the model</source>
        <translation>Не вдалося завантажити модель</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="77"/>
        <source>&amp;Help</source>
        <translation>&amp;Довідка</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="79"/>
        <source>&amp;Keyboard shortcuts</source>
        <translation>&amp;Клавіатурні скорочення</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="422"/>
        <source>No decisions to export yet: this dataset has no annotation store.</source>
        <translation>Поки що немає рішень для експорту: цей набір даних не має сховища анотацій.</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="470"/>
        <source>No further slice with lesion in this direction.</source>
        <translation>У цьому напрямку більше немає зрізів з ураженням.</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="473"/>
        <source>No labels: load a model to find lesion slices by its lesion probability.</source>
        <translation>Немає міток: завантажте модель, щоб шукати зрізи з ураженням за передбаченою нею ймовірністю ураження.</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="486"/>
        <source>Finish (Enter) or cancel (Esc) the correction first.</source>
        <translation>Спершу завершіть (Enter) або скасуйте (Esc) виправлення.</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="110"/>
        <source>Open a KiTS dataset or case folder</source>
        <translation>Відкрити набір даних KiTS або теку випадку</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="117"/>
        <source>Open a volume</source>
        <translation>Відкрити об’єм</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="118"/>
        <source>Volumes (*.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd);;All files (*)</source>
        <translation>Об’єми (*.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd);;Усі файли (*)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="87"/>
        <source>Loading %1…</source>
        <translation>Завантаження %1…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="591"/>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="604"/>
        <source> — the labels&apos; meanings are unknown: load a label table (File menu) to use them as kidney, tumour or cyst</source>
        <translation> — значення міток невідомі: завантажте таблицю міток (меню «Файл»), щоб використати їх як нирку, пухлину чи кісту</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="607"/>
        <source> — KiTS labels</source>
        <translation> — мітки KiTS</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="608"/>
        <source> — labels read with %1</source>
        <translation> — мітки прочитано за %1</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="633"/>
        <source>Demo preparation cancelled; what was finished is kept.</source>
        <translation>Підготовку демонстрації скасовано; завершені кроки збережено.</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="636"/>
        <source>Cannot prepare the demo</source>
        <translation>Не вдалося підготувати демонстрацію</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::ReviewActions</name>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="39"/>
        <source>&amp;Review</source>
        <translation>&amp;Перевірка</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="88"/>
        <source>&amp;Accept proposal</source>
        <translation>&amp;Прийняти пропозицію</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="90"/>
        <source>&amp;Label: tumour or cyst</source>
        <translation>&amp;Мітка: пухлина чи кіста</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="93"/>
        <source>Accepted and corrected masks are now cysts.</source>
        <translation>Прийняті й виправлені маски тепер — кісти.</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="94"/>
        <source>Accepted and corrected masks are now tumours.</source>
        <translation>Прийняті й виправлені маски тепер — пухлини.</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="97"/>
        <source>Re&amp;ject proposal</source>
        <translation>&amp;Відхилити пропозицію</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="99"/>
        <source>&amp;Skip</source>
        <translation>Пропус&amp;тити</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="101"/>
        <source>&amp;Correct (edit the proposal)</source>
        <translation>В&amp;иправити (редагувати пропозицію)</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="103"/>
        <source>&amp;Finish correction</source>
        <translation>&amp;Завершити виправлення</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="108"/>
        <source>Cancel correction</source>
        <translation>Скасувати виправлення</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="111"/>
        <source>&amp;Undo</source>
        <translation>&amp;Скасувати</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="116"/>
        <source>Decision undone.</source>
        <translation>Рішення скасовано.</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="118"/>
        <source>&amp;Redo</source>
        <translation>Повто&amp;рити</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="136"/>
        <source>Fill &amp;holes</source>
        <translation>Заповнити &amp;отвори</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="138"/>
        <source>&amp;Keep the largest component</source>
        <translation>Залишити найбільший &amp;компонент</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="140"/>
        <source>Remove small &amp;islands</source>
        <translation>Видалити дрібні остр&amp;івці</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="142"/>
        <source>Apply the &amp;proposal</source>
        <translation>З&amp;астосувати пропозицію</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="148"/>
        <source>Keep an &amp;HU range within the mask…</source>
        <translation>Залишити в масці діапазон &amp;HU…</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="150"/>
        <source>Larger brush</source>
        <translation>Більший пензель</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="152"/>
        <source>Smaller brush</source>
        <translation>Менший пензель</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="158"/>
        <source>Polygon: &amp;add (G to start, G to close)</source>
        <translation>Полігон: &amp;додати (G — почати, G — замкнути)</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="160"/>
        <source>Polygon: s&amp;ubtract (Shift+G)</source>
        <translation>Полігон: відн&amp;яти (Shift+G)</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="175"/>
        <source>Polygon (subtract): click the corners, Shift+G closes it, Esc cancels.</source>
        <translation>Полігон (віднімання): клацайте вершини, Shift+G замикає його, Esc скасовує.</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="176"/>
        <source>Polygon (add): click the corners, G closes it, Esc cancels.</source>
        <translation>Полігон (додавання): клацайте вершини, G замикає його, Esc скасовує.</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="192"/>
        <source>HU range</source>
        <translation>Діапазон HU</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="192"/>
        <source>Keep mask pixels from … to … HU:</source>
        <translation>Залишити пікселі маски від … до … HU:</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="202"/>
        <source>Kept the mask&apos;s pixels from %1 to %2 HU.</source>
        <translation>У масці залишено пікселі від %1 до %2 HU.</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="207"/>
        <source>&amp;Next undecided</source>
        <translation>&amp;Наступна пропозиція без рішення</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="209"/>
        <source>Previous undecided</source>
        <translation>Попередня пропозиція без рішення</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="211"/>
        <source>Review whole slices (not kidney crops)</source>
        <translation>Перевіряти цілі зрізи (а не фрагменти нирок)</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="217"/>
        <source>Automatic crops again (forget the placed ones)</source>
        <translation>Знову автоматичні фрагменти (забути розміщені)</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="221"/>
        <source>The crops follow the kidney labels (or the slice&apos;s halves) again.</source>
        <translation>Фрагменти знову йдуть за мітками нирок (або половинами зрізу).</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="223"/>
        <source>Advance after a decision</source>
        <translation>Переходити далі після рішення</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="228"/>
        <source>Set the annotator&apos;s name…</source>
        <translation>Вказати ім’я анотатора…</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="259"/>
        <source>The %1 kidney&apos;s crop is placed here on every slice of the case (Review › Automatic crops again undoes it).</source>
        <translation>Фрагмент %1 нирки розміщено тут на кожному зрізі випадку (Перегляд › Знову автоматичні фрагменти скасовує це).</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="261"/>
        <source>right</source>
        <translation>правої</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="261"/>
        <source>left</source>
        <translation>лівої</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="270"/>
        <source>Crop %1 px (%2 × %3 slice pixels): release to use it</source>
        <translation>Кроп %1 пікс. (%2 × %3 пікселів зрізу): відпустіть, щоб застосувати</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="279"/>
        <source>Crop size %1 px on every slice (the crop-size box in the toolbar)</source>
        <translation>Розмір кропу %1 пікс. на всіх зрізах (поле розміру кропу на панелі)</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="308"/>
        <source>Slice %1, crop %2: %3 (saved)</source>
        <translation>Зріз %1, фрагмент %2: %3 (збережено)</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="349"/>
        <source>Set the annotator&apos;s name first (Review menu).</source>
        <translation>Спершу вкажіть ім’я анотатора (меню «Перевірка»).</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="354"/>
        <source>Annotator</source>
        <translation>Анотатор</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="354"/>
        <source>Your name (stored with every decision):</source>
        <translation>Ваше ім’я (зберігається з кожним рішенням):</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="392"/>
        <source>Every kidney crop of this case has a decision.</source>
        <translation>Для кожного фрагмента нирки цього випадку вже є рішення.</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="408"/>
        <source>Review: crop %1 of %2%3 — label: %4%5%6</source>
        <translation>Перегляд: фрагмент %1 з %2%3 — мітка: %4%5%6</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="411"/>
        <source> (right kidney)</source>
        <translation> (права нирка)</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="412"/>
        <source> (left kidney)</source>
        <translation> (ліва нирка)</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="414"/>
        <source>cyst</source>
        <translation>кіста</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="414"/>
        <source>tumour</source>
        <translation>пухлина</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="415"/>
        <source> — %1</source>
        <translation> — %1</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="416"/>
        <source> — editing</source>
        <translation> — редагування</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="462"/>
        <source>Unfinished correction</source>
        <translation>Незавершене виправлення</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="463"/>
        <source>Weaksight stopped while a correction was being edited (case %1, slice %2, by %3, %4).
Restore it?</source>
        <translation>Weaksight припинив роботу під час редагування виправлення (випадок %1, зріз %2, анотатор %3, %4).
Відновити його?</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="504"/>
        <source>The unfinished correction is back: finish it with Enter.</source>
        <translation>Незавершене виправлення відновлено: завершіть його клавішею Enter.</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="520"/>
        <source>The correction has unsaved edits: press Esc again to discard them, Enter to record them.</source>
        <translation>Виправлення має незбережені зміни: натисніть Esc ще раз, щоб їх скасувати, або Enter, щоб записати.</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="526"/>
        <source>Correction discarded.</source>
        <translation>Виправлення скасовано.</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="534"/>
        <source>Unsaved correction</source>
        <translation>Незбережене виправлення</translation>
    </message>
    <message>
        <location filename="../ui/ReviewActions.cpp" line="535"/>
        <source>The correction in progress is not recorded yet. Record it before closing?</source>
        <translation>Поточне виправлення ще не записано. Записати його перед закриттям?</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::ReviewController</name>
    <message>
        <location filename="../ui/ReviewController.cpp" line="286"/>
        <source>The crop&apos;s place was not saved: %1</source>
        <translation>Місце фрагмента не збережено: %1</translation>
    </message>
    <message>
        <location filename="../ui/ReviewController.cpp" line="401"/>
        <source>No proposal on this slice to decide on.</source>
        <translation>На цьому зрізі немає пропозиції для ухвалення рішення.</translation>
    </message>
    <message>
        <location filename="../ui/ReviewController.cpp" line="406"/>
        <source>Set the annotator&apos;s name first.</source>
        <translation>Спершу вкажіть ім’я анотатора.</translation>
    </message>
    <message>
        <location filename="../ui/ReviewController.cpp" line="471"/>
        <source>The decision was not saved: %1</source>
        <translation>Рішення не збережено: %1</translation>
    </message>
    <message>
        <location filename="../ui/ReviewController.cpp" line="611"/>
        <source>The undo was not saved: %1</source>
        <translation>Скасування не збережено: %1</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::SettingsDialog</name>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="21"/>
        <source>Settings</source>
        <translation>Налаштування</translation>
    </message>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="24"/>
        <source>System language</source>
        <translation>Мова системи</translation>
    </message>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="28"/>
        <source>Language:</source>
        <translation>Мова:</translation>
    </message>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="29"/>
        <source>A new language applies when Weaksight starts again.</source>
        <translation>Нова мова застосується після перезапуску Weaksight.</translation>
    </message>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="32"/>
        <source>Command</source>
        <translation>Команда</translation>
    </message>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="32"/>
        <source>Key</source>
        <translation>Клавіша</translation>
    </message>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="45"/>
        <source>Keyboard:</source>
        <translation>Клавіатура:</translation>
    </message>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="46"/>
        <source>Default keys</source>
        <translation>Типові клавіші</translation>
    </message>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="80"/>
        <source>“%1” and “%2” (%3)</source>
        <translation>“%1” і “%2” (%3)</translation>
    </message>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="82"/>
        <source>Two commands cannot share a key: %1. Nothing was changed.</source>
        <translation>Дві команди не можуть мати спільну клавішу: %1. Нічого не змінено.</translation>
    </message>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="96"/>
        <source>Key conflict</source>
        <translation>Конфлікт клавіш</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::SliceToolbar</name>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="29"/>
        <source>Abdomen (W 350 / L 40)</source>
        <translation>Черевна порожнина (W 350 / L 40)</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="30"/>
        <source>Kidney (W 300 / L 40)</source>
        <translation>Нирка (W 300 / L 40)</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="31"/>
        <source>Tumour (W 60 / L 35)</source>
        <translation>Пухлина (W 60 / L 35)</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="32"/>
        <source>Bone (W 1000 / L 400)</source>
        <translation>Кістки (W 1000 / L 400)</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="33"/>
        <source>Lung (W 1400 / L -500)</source>
        <translation>Легені (W 1400 / L -500)</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="45"/>
        <source>View</source>
        <translation>Перегляд</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="47"/>
        <source>Window: </source>
        <translation>Вікно: </translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="56"/>
        <source>Label contours</source>
        <translation>Контури міток</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="94"/>
        <source>kidney</source>
        <translation>нирка</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="96"/>
        <source>tumour</source>
        <translation>пухлина</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="98"/>
        <source>cyst</source>
        <translation>кіста</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="100"/>
        <source>other label</source>
        <translation>інша мітка</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="102"/>
        <source>label %1</source>
        <translation>мітка %1</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="117"/>
        <source>slice %1, row %2, column %3</source>
        <translation>зріз %1, рядок %2, стовпець %3</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="118"/>
        <source>row %1, column %2</source>
        <translation>рядок %1, стовпець %2</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="120"/>
        <source>  |  %1 HU</source>
        <translation>  |  %1 HU</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="125"/>
        <source>  |  heatmap %1</source>
        <translation>  |  теплова карта %1</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="144"/>
        <source>slice %1 of 0–%2  (z = %3 mm)</source>
        <translation>зріз %1 з 0–%2  (z = %3 мм)</translation>
    </message>
    <message>
        <location filename="../ui/SliceToolbar.cpp" line="149"/>
        <source>  p(lesion) %1</source>
        <translation>  p(lesion) %1</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::SurfaceDock</name>
    <message>
        <location filename="../ui/SurfaceView.cpp" line="168"/>
        <source>3D view</source>
        <translation>3D-вигляд</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::SurfacePanel</name>
    <message>
        <location filename="../ui/SurfaceView.cpp" line="127"/>
        <source>Ground truth</source>
        <translation>Еталонна розмітка</translation>
    </message>
    <message>
        <location filename="../ui/SurfaceView.cpp" line="128"/>
        <source>Curated masks</source>
        <translation>Затверджені маски</translation>
    </message>
    <message>
        <location filename="../ui/SurfaceView.cpp" line="131"/>
        <source>Accepted and corrected masks from the annotation store (magenta)</source>
        <translation>Прийняті й виправлені маски зі сховища анотацій (пурпурові)</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::Workspace</name>
    <message>
        <location filename="../ui/Workspace.cpp" line="75"/>
        <location filename="../ui/Workspace.cpp" line="102"/>
        <source>Cannot open</source>
        <translation>Не вдалося відкрити</translation>
    </message>
    <message>
        <location filename="../ui/Workspace.cpp" line="111"/>
        <location filename="../ui/Workspace.cpp" line="125"/>
        <source>Cannot load segmentation</source>
        <translation>Не вдається завантажити сегментацію</translation>
    </message>
    <message>
        <location filename="../ui/Workspace.cpp" line="112"/>
        <source>Open a CT first: a segmentation is loaded onto its image.</source>
        <translation>Спершу відкрийте КТ: сегментацію завантажують на її зображення.</translation>
    </message>
    <message>
        <location filename="../ui/Workspace.cpp" line="132"/>
        <location filename="../ui/Workspace.cpp" line="141"/>
        <source>Cannot load label table</source>
        <translation>Не вдається завантажити таблицю міток</translation>
    </message>
    <message>
        <location filename="../ui/Workspace.cpp" line="133"/>
        <source>The case on screen has no segmentation to read with it.</source>
        <translation>Випадок на екрані не має сегментації, яку можна нею прочитати.</translation>
    </message>
    <message>
        <location filename="../ui/Workspace.cpp" line="262"/>
        <source>Not enough memory to load %1.</source>
        <translation>Недостатньо пам’яті для завантаження %1.</translation>
    </message>
    <message>
        <location filename="../ui/Workspace.cpp" line="286"/>
        <source>Cannot load the segmentation</source>
        <translation>Не вдається завантажити сегментацію</translation>
    </message>
    <message>
        <location filename="../ui/Workspace.cpp" line="287"/>
        <source>
The CT opens without it.</source>
        <translation>
КТ відкривається без неї.</translation>
    </message>
    <message>
        <location filename="../ui/Workspace.cpp" line="294"/>
        <source>Cannot load case</source>
        <translation>Не вдалося завантажити випадок</translation>
    </message>
</context>
</TS>

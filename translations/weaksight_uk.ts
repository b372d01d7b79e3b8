<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="uk_UA">
<context>
    <name>Evaluate</name>
    <message>
        <location filename="../app/ResearchCommands.cpp" line="242"/>
        <source>Test split</source>
        <translation>Тестова вибірка</translation>
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
        <location filename="../ui/figures/ReportFigures.cpp" line="133"/>
        <source>no lesion</source>
        <translation>без ураження</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="133"/>
        <source>lesion</source>
        <translation>ураження</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="139"/>
        <source>predicted</source>
        <translation>прогноз</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="143"/>
        <source>true </source>
        <translation>фактично </translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="181"/>
        <source>CT crop</source>
        <translation>Фрагмент КТ</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="187"/>
        <source>no correctly classified lesion crop in test</source>
        <translation>у тестовій вибірці немає правильно класифікованих фрагментів з ураженням</translation>
    </message>
    <message>
        <location filename="../ui/figures/ReportFigures.cpp" line="197"/>
        <source>side</source>
        <translation>бік</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::CamController</name>
    <message>
        <location filename="../ui/CamController.cpp" line="170"/>
        <source>%1 (%2, %3, %4)</source>
        <translation>%1 (%2, %3, %4)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="187"/>
        <source>Not enough memory to load the model %1.</source>
        <translation>Недостатньо пам’яті для завантаження моделі %1.</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="249"/>
        <source>%1
(per crop)</source>
        <translation>%1
(на фрагмент)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="253"/>
        <source>%1
(per volume)</source>
        <translation>%1
(на об’єм)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="254"/>
        <source>%1
(per volume,
raw %2–%3)</source>
        <translation>%1
(на об’єм,
сирі %2–%3)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="257"/>
        <source>%1
(raw values)</source>
        <translation>%1
(сирі значення)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="511"/>
        <source>lesion probability: slice %1 of %2</source>
        <translation>ймовірність ураження: зріз %1 з %2</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="564"/>
        <source>%1 per volume: crop %2 of %3</source>
        <translation>%1 на об’єм: фрагмент %2 з %3</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="565"/>
        <source>%1: crop %2 of %3, slice %4</source>
        <translation>%1: фрагмент %2 з %3, зріз %4</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="589"/>
        <source>%1 (masked inputs %2 of %3)</source>
        <translation>%1 (замасковані входи: %2 з %3)</translation>
    </message>
    <message>
        <location filename="../ui/CamController.cpp" line="620"/>
        <source>Out of memory while computing heatmaps.</source>
        <translation>Недостатньо пам’яті під час обчислення теплових карт.</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::CaseBrowser</name>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="23"/>
        <source>All cases</source>
        <translation>Усі випадки</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="24"/>
        <source>Not started</source>
        <translation>Не розпочаті</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="25"/>
        <source>In progress</source>
        <translation>У роботі</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="26"/>
        <source>Done</source>
        <translation>Завершені</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="27"/>
        <source>With ground truth</source>
        <translation>З еталонною розміткою</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="28"/>
        <source>Without ground truth</source>
        <translation>Без еталонної розмітки</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="32"/>
        <source>not started</source>
        <translation>не розпочато</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="33"/>
        <source>in progress</source>
        <translation>у роботі</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="34"/>
        <source>done</source>
        <translation>завершено</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="43"/>
        <source>Filter cases…</source>
        <translation>Фільтр випадків…</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="122"/>
        <source> (labels only)</source>
        <translation> (лише мітки)</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="124"/>
        <source> (imaging only)</source>
        <translation> (лише зображення)</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="127"/>
        <source>  — %1 %2/%3</source>
        <translation>  — %1 %2/%3</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="131"/>
        <source>
Status: %1 (%2 of %3 proposals decided: %4 accepted, %5 corrected, %6 rejected)</source>
        <translation>
Статус: %1 (ухвалено рішення щодо %2 з %3 пропозицій: прийнято %4, виправлено %5, відхилено %6)</translation>
    </message>
    <message>
        <location filename="../ui/CaseBrowser.cpp" line="176"/>
        <source>%1 of %2 cases shown, %3 done</source>
        <translation>Показано випадків: %1 з %2, завершено: %3</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::ComparisonView</name>
    <message>
        <location filename="../ui/ComparisonView.cpp" line="71"/>
        <source>: failed — </source>
        <translation>: помилка — </translation>
    </message>
    <message>
        <location filename="../ui/ComparisonView.cpp" line="212"/>
        <source> (approximate)</source>
        <translation> (наближено)</translation>
    </message>
    <message>
        <location filename="../ui/ComparisonView.cpp" line="213"/>
        <source>  t %1</source>
        <translation>  t %1</translation>
    </message>
    <message>
        <location filename="../ui/ComparisonView.cpp" line="217"/>
        <source>  IoU %1</source>
        <translation>  IoU %1</translation>
    </message>
    <message>
        <location filename="../ui/ComparisonView.cpp" line="219"/>
        <source>  (computing…)</source>
        <translation>  (обчислення…)</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::MainWindow</name>
    <message>
        <location filename="../ui/MainWindow.cpp" line="56"/>
        <source>Abdomen (W 350 / L 40)</source>
        <translation>Черевна порожнина (W 350 / L 40)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="57"/>
        <source>Kidney (W 300 / L 40)</source>
        <translation>Нирка (W 300 / L 40)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="58"/>
        <source>Tumour (W 60 / L 35)</source>
        <translation>Пухлина (W 60 / L 35)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="59"/>
        <source>Bone (W 1000 / L 400)</source>
        <translation>Кістки (W 1000 / L 400)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="60"/>
        <source>Lung (W 1400 / L -500)</source>
        <translation>Легені (W 1400 / L -500)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="100"/>
        <source>Weaksight</source>
        <translation>Weaksight</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="110"/>
        <source>&amp;File</source>
        <translation>&amp;Файл</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="111"/>
        <source>Open &amp;dataset or case folder…</source>
        <translation>Відкрити набір &amp;даних або теку випадку…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="113"/>
        <source>Open &amp;volume file…</source>
        <translation>Відкрити файл &amp;об’єму…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="114"/>
        <source>Open &amp;recent</source>
        <translation>Відкрити &amp;недавні</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="120"/>
        <source>(none yet)</source>
        <translation>(поки що немає)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="122"/>
        <source>Open d&amp;emo dataset</source>
        <translation>Відкрити де&amp;монстраційний набір даних</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="124"/>
        <source>&amp;Settings…</source>
        <translation>&amp;Налаштування…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="127"/>
        <source>The new language applies when Weaksight starts again.</source>
        <translation>Нова мова застосується після перезапуску Weaksight.</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="130"/>
        <source>&amp;Quit</source>
        <translation>&amp;Вийти</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="132"/>
        <source>&amp;Navigate</source>
        <translation>&amp;Навігація</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="133"/>
        <source>&amp;Next slice with lesion</source>
        <translation>&amp;Наступний зріз з ураженням</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="134"/>
        <source>&amp;Previous slice with lesion</source>
        <translation>&amp;Попередній зріз з ураженням</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="136"/>
        <source>&amp;Reset view</source>
        <translation>&amp;Скинути вигляд</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="142"/>
        <source>&amp;Compare methods side by side</source>
        <translation>Порівняти &amp;методи пліч-о-пліч</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="146"/>
        <source>View</source>
        <translation>Перегляд</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="148"/>
        <source>Window: </source>
        <translation>Вікно: </translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="157"/>
        <source>Label contours</source>
        <translation>Контури міток</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="179"/>
        <source>Cases</source>
        <translation>Випадки</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="187"/>
        <source>3D view</source>
        <translation>3D-вигляд</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="195"/>
        <source>Ground truth</source>
        <translation>Еталонна розмітка</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="196"/>
        <source>Curated masks</source>
        <translation>Затверджені маски</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="199"/>
        <source>Accepted and corrected masks from the annotation store (magenta)</source>
        <translation>Прийняті й виправлені маски зі сховища анотацій (пурпурові)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="220"/>
        <source>&amp;3D view</source>
        <translation>&amp;3D-вигляд</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="222"/>
        <source>&amp;View</source>
        <translation>&amp;Вигляд</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="227"/>
        <source>row %1, column %2</source>
        <translation>рядок %1, стовпець %2</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="229"/>
        <source>  |  %1 HU</source>
        <translation>  |  %1 HU</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="231"/>
        <source>  |  label %1</source>
        <translation>  |  мітка %1</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="237"/>
        <source>Open a KiTS dataset, a case folder or a volume (File menu).</source>
        <translation>Відкрийте набір даних KiTS, теку випадку або об’єм (меню «Файл»).</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="243"/>
        <source>Heatmaps</source>
        <translation>Теплові карти</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="247"/>
        <source>Load model…</source>
        <translation>Завантажити модель…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="248"/>
        <source>Load a classifier</source>
        <translation>Завантажити класифікатор</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="249"/>
        <source>Models (*.wsm *.pt *.pth);;All files (*)</source>
        <translation>Моделі (*.wsm *.pt *.pth);;Усі файли (*)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="253"/>
        <location filename="../ui/MainWindow.cpp" line="402"/>
        <source>no model</source>
        <translation>модель не завантажено</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="261"/>
        <source>%1 (approximate)</source>
        <translation>%1 (наближено)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="268"/>
        <source>Target layer: earlier stages give finer maps (CAM itself needs the last stage)</source>
        <translation>Цільовий шар: ранніші етапи дають детальніші карти (для самого CAM потрібен останній етап)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="272"/>
        <source>per crop</source>
        <translation>на фрагмент</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="273"/>
        <source>per volume</source>
        <translation>на об’єм</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="274"/>
        <source>raw values</source>
        <translation>сирі значення</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="275"/>
        <source>Heatmap normalisation: min-max per crop, one min-max over the whole case, or none</source>
        <translation>Нормалізація теплової карти: min-max на фрагмент, один min-max для всього випадку або без нормалізації</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="281"/>
        <source> px</source>
        <translation> пікс.</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="282"/>
        <source>Kidney crop size (a model&apos;s own, from its training record, is set when it loads)</source>
        <translation>Розмір фрагмента нирки (власний розмір моделі з її журналу навчання встановлюється під час завантаження)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="284"/>
        <source> threshold </source>
        <translation> поріг </translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="305"/>
        <source>Overlay</source>
        <translation>Накладання</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="310"/>
        <source> opacity </source>
        <translation> непрозорість </translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="321"/>
        <source>Heatmap</source>
        <translation>Теплова карта</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="322"/>
        <source>Proposal</source>
        <translation>Пропозиція</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="323"/>
        <source>Crop boxes</source>
        <translation>Рамки фрагментів</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="293"/>
        <source>IoU of the proposal with the ground-truth lesion inside the crop boxes</source>
        <translation>IoU пропозиції з ураженням за еталонною розміткою в межах рамок фрагментів</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="300"/>
        <location filename="../ui/MainWindow.cpp" line="692"/>
        <source>Cancel</source>
        <translation>Скасувати</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="398"/>
        <source>Model loaded: %1</source>
        <translation>Модель завантажено: %1</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="403"/>
        <source>Cannot load the model</source>
        <translation>Не вдалося завантажити модель</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="408"/>
        <source>Heatmaps failed: %1</source>
        <translation>Не вдалося обчислити теплові карти: %1</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="410"/>
        <source>Heatmaps failed</source>
        <translation>Не вдалося обчислити теплові карти</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="489"/>
        <source> IoU %1 </source>
        <translation> IoU %1 </translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="503"/>
        <source>No further slice with lesion in this direction.</source>
        <translation>У цьому напрямку більше немає зрізів з ураженням.</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="505"/>
        <source>No labels: load a model to find lesion slices by its lesion probability.</source>
        <translation>Немає міток: завантажте модель, щоб шукати зрізи з ураженням за передбаченою нею ймовірністю ураження.</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="510"/>
        <source>loading %1…</source>
        <translation>завантаження %1…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="538"/>
        <source>slice %1 / %2  (z = %3 mm)</source>
        <translation>зріз %1 / %2  (z = %3 mm)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="543"/>
        <source>  p(lesion) %1</source>
        <translation>  p(lesion) %1</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="559"/>
        <source>Open a KiTS dataset or case folder</source>
        <translation>Відкрити набір даних KiTS або теку випадку</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="567"/>
        <source>Open a volume</source>
        <translation>Відкрити об’єм</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="568"/>
        <source>Volumes (*.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd);;All files (*)</source>
        <translation>Об’єми (*.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd);;Усі файли (*)</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="590"/>
        <source>Cannot open</source>
        <translation>Не вдалося відкрити</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="617"/>
        <source>Loading %1…</source>
        <translation>Завантаження %1…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="624"/>
        <source>Not enough memory to load %1.</source>
        <translation>Недостатньо пам’яті для завантаження %1.</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="638"/>
        <source>Cannot load case</source>
        <translation>Не вдалося завантажити випадок</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="671"/>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="692"/>
        <source>Preparing the demo…</source>
        <translation>Підготовка демонстрації…</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="693"/>
        <source>Weaksight demo</source>
        <translation>Демонстрація Weaksight</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="710"/>
        <source>Demo preparation cancelled; what was finished is kept.</source>
        <translation>Підготовку демонстрації скасовано; завершені кроки збережено.</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="717"/>
        <source>Cannot prepare the demo</source>
        <translation>Не вдалося підготувати демонстрацію</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="726"/>
        <source>Generating synthetic CT cases: %1 of %2</source>
        <translation>Створення синтетичних випадків КТ: %1 з %2</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="727"/>
        <source>Cutting kidney crops: case %1 of %2</source>
        <translation>Вирізання фрагментів нирок: випадок %1 з %2</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="728"/>
        <source>Training the demo classifier: %1 %</source>
        <translation>Навчання демонстраційного класифікатора: %1 %</translation>
    </message>
    <message>
        <location filename="../ui/MainWindow.cpp" line="735"/>
        <source>  (%1 s)</source>
        <translation>  (%1 с)</translation>
    </message>
</context>
<context>
    <name>weaksight::ui::SettingsDialog</name>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="14"/>
        <source>Settings</source>
        <translation>Налаштування</translation>
    </message>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="17"/>
        <source>System language</source>
        <translation>Мова системи</translation>
    </message>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="21"/>
        <source>Language:</source>
        <translation>Мова:</translation>
    </message>
    <message>
        <location filename="../ui/SettingsDialog.cpp" line="22"/>
        <source>A new language applies when Weaksight starts again.</source>
        <translation>Нова мова застосується після перезапуску Weaksight.</translation>
    </message>
</context>
</TS>

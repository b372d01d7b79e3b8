#include "ui/EditJournal.h"

#include "core/common/Log.h"

#include <QDataStream>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <spdlog/spdlog.h>

namespace weaksight::ui {

namespace {
constexpr quint32 kMagic = 0x57534a31; // "WSJ1"
}

EditJournal::EditJournal(QString file) : m_path(std::move(file)) {}

QString EditJournal::defaultPath()
{
    return QString::fromStdString((logging::userDataDirectory() / "recovery" / "edit-in-progress.wsj").string());
}

bool EditJournal::save(const EditRecovery& state)
{
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly)) {
        spdlog::error("edit journal {}: {}", m_path.toStdString(), file.errorString().toStdString());
        return false;
    }
    const auto blob = encodeMask(state.mask);
    QDataStream out(&file);
    out.setVersion(QDataStream::Qt_6_4);
    out << kMagic << state.storePath << state.datasetPath << state.caseId << qint32(state.slice) << qint32(state.crop)
        << qint32(state.box.row0) << qint32(state.box.col0) << qint32(state.box.rows) << qint32(state.box.cols)
        << state.annotator << QDateTime::currentMSecsSinceEpoch()
        << QByteArray(reinterpret_cast<const char*>(blob.data()), static_cast<qsizetype>(blob.size()));
    // Appended last, so older readers and journals still agree on everything before it.
    const storage::CropBox proposal = state.proposalBox.value_or(state.box);
    out << qint32(proposal.row0) << qint32(proposal.col0) << qint32(proposal.rows) << qint32(proposal.cols);
    if (out.status() != QDataStream::Ok || !file.commit()) {
        spdlog::error("edit journal {}: not written ({})", m_path.toStdString(), file.errorString().toStdString());
        return false;
    }
    return true;
}

void EditJournal::discard() { QFile::remove(m_path); }

std::optional<EditRecovery> EditJournal::load() const
{
    QFile file(m_path);
    if (!file.exists() || !file.open(QIODevice::ReadOnly))
        return std::nullopt;
    QDataStream in(&file);
    in.setVersion(QDataStream::Qt_6_4);
    quint32 magic = 0;
    EditRecovery state;
    qint32 slice = 0, crop = 0, row = 0, col = 0, rows = 0, cols = 0;
    QByteArray blob;
    in >> magic >> state.storePath >> state.datasetPath >> state.caseId >> slice >> crop >> row >> col >> rows >> cols >>
        state.annotator >> state.savedAtMs >> blob;
    std::optional<storage::CropBox> proposalBox;
    if (!in.atEnd()) {
        qint32 pRow = 0, pCol = 0, pRows = 0, pCols = 0;
        in >> pRow >> pCol >> pRows >> pCols;
        proposalBox = storage::CropBox{pRow, pCol, pRows, pCols};
    }
    try {
        if (magic != kMagic || in.status() != QDataStream::Ok)
            throw std::invalid_argument("not a Weaksight edit journal, or truncated");
        if (proposalBox &&
            (proposalBox->empty() || !holds(storage::CropBox{row, col, rows, cols}, *proposalBox)))
            throw std::invalid_argument("the proposal's box does not lie in the mask's");
        state.mask = decodeMask(reinterpret_cast<const uint8_t*>(blob.constData()), static_cast<size_t>(blob.size()));
        if (state.mask.rows != rows || state.mask.cols != cols)
            throw std::invalid_argument("the mask does not match its crop");
    } catch (const std::exception& e) {
        spdlog::error("edit journal {} is damaged ({}); set aside as .damaged", m_path.toStdString(), e.what());
        file.close();
        QFile::remove(m_path + ".damaged");
        QFile::rename(m_path, m_path + ".damaged");
        return std::nullopt;
    }
    state.slice = slice;
    state.crop = crop;
    state.box = {row, col, rows, cols};
    state.proposalBox = proposalBox;
    return state;
}

} // namespace weaksight::ui

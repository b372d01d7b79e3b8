#!/usr/bin/env python3
"""What a DICOM Segmentation holds, read with pydicom (Debian's python3-pydicom), as JSON on stdout:
its segments, its study and frame of reference, the series it references, and per frame the
segment, the position, the source CT slice and the indices of its set pixels. The export tests
compare it voxel for voxel with the store. `--ct-series FOLDER` prints a DICOM CT series' slices
(position, SOP instance) instead. Exit 77 (a skipped test) without pydicom or NumPy."""
import json
import sys

try:
    import numpy
    import pydicom
except ImportError as error:
    print(f"skipped: {error}", file=sys.stderr)
    sys.exit(77)


def main(path):
    ds = pydicom.dcmread(path)
    pixels = ds.pixel_array
    if pixels.ndim == 2:
        pixels = pixels[numpy.newaxis]
    frames = []
    for i, group in enumerate(ds.PerFrameFunctionalGroupsSequence):
        source = None
        if "DerivationImageSequence" in group:
            source = str(group.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID)
        frames.append({
            "segment": int(group.SegmentIdentificationSequence[0].ReferencedSegmentNumber),
            "position": [float(v) for v in group.PlanePositionSequence[0].ImagePositionPatient],
            "source": source,
            "set": [int(v) for v in numpy.flatnonzero(pixels[i])],
        })
    shared = ds.SharedFunctionalGroupsSequence[0]
    referenced = [str(s.SeriesInstanceUID) for s in ds.get("ReferencedSeriesSequence", [])]
    print(json.dumps({
        "modality": str(ds.Modality),
        "sop_class": str(ds.SOPClassUID),
        "rows": int(ds.Rows),
        "columns": int(ds.Columns),
        "study": str(ds.StudyInstanceUID),
        "frame_of_reference": str(ds.FrameOfReferenceUID),
        "patient_id": str(ds.PatientID),
        "pixel_spacing": [float(v) for v in shared.PixelMeasuresSequence[0].PixelSpacing],
        "orientation": [float(v) for v in shared.PlaneOrientationSequence[0].ImageOrientationPatient],
        "segments": [{"number": int(s.SegmentNumber), "label": str(s.SegmentLabel),
                      "type": str(s.SegmentedPropertyTypeCodeSequence[0].CodeMeaning)} for s in ds.SegmentSequence],
        "referenced_series": referenced,
        "frames": frames,
    }))


def ct_series(folder):
    """The CT slices of a DICOM folder: series, and per slice its position and SOP instance."""
    import pathlib
    slices, series = [], set()
    for f in sorted(pathlib.Path(folder).iterdir()):
        try:
            ds = pydicom.dcmread(str(f), stop_before_pixels=True)
        except Exception:
            continue
        if "ImagePositionPatient" not in ds:
            continue
        series.add(str(ds.SeriesInstanceUID))
        slices.append({"position": [float(v) for v in ds.ImagePositionPatient],
                       "sop_instance": str(ds.SOPInstanceUID), "study": str(ds.StudyInstanceUID)})
    print(json.dumps({"series": sorted(series), "slices": slices}))


if __name__ == "__main__":
    if sys.argv[1] == "--ct-series":
        ct_series(sys.argv[2])
    else:
        main(sys.argv[1])

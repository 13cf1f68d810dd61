#!/usr/bin/python3
"""Dumps DICOM files with pydicom, as the oracle of test/dicom/oracle.test.ts.

Usage: /usr/bin/python3 pydicom_dump.py FILE...

Prints one JSON line per file, in argument order:

  {"path": ..., "pydicom": "2.3.1", "error"?: "...", "meta": [...], "dataset": [...]}

Each element is {"tag": "GGGGEEEE", "vr": ..., ...} with "vrFrom": "private dictionary" when the
file does not give the VR of a private element (implicit VR, or UN) and pydicom took it from its
dictionary of private tags, and exactly one of
  "value": the value normalized (see normalize_value),
  "items": [[element, ...], ...] for a sequence,
  "error": "ExceptionName: message" when pydicom could not convert the element.

Values are normalized so another implementation can produce the same JSON:
  - text VRs (AE AS CS DA DT TM LO LT SH ST UC UI UR UT): a list of str as pydicom decodes them
    (its own character set handling and padding rules), [] for an empty value;
  - PN: a list of str(PersonName);
  - DS IS: a list of numbers; null for an empty value inside a multi-valued element; a str for
    a value pydicom kept as text (it falls back to SH when a number does not parse);
  - US SS UL SL FL FD SV UV: a list of numbers; "NaN", "Infinity", "-Infinity" for non-finite
    floats; integers beyond 2^53 as decimal strings;
  - AT: a list of "GGGGEEEE";
  - bytes (OB OW OF OD OL OV UN, unresolved ambiguous VRs, Pixel Data, encapsulated Pixel Data):
    {"length": n, "sha256": hex} of the bytes pydicom holds. For encapsulated Pixel Data pydicom
    holds every item (tag, length and data, Basic Offset Table first) up to but without the
    Sequence Delimitation Item.

Everything runs in one process. Warnings and log output are silenced: only the JSON goes out.
"""

import enum
import hashlib
import json
import logging
import math
import sys
import warnings

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag
from pydicom.valuerep import PersonName

NUMBER_STRING_VRS = {'DS', 'IS'}
# VRs whose value pydicom keeps as bytes (OB/OW... and the ambiguous VRs it could not resolve).
BYTES_VRS = {'OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN', 'OB or OW', 'US or OW', 'US or SS or OW'}
MAX_SAFE_INTEGER = 2**53 - 1


def describe(exc):
    return f'{type(exc).__name__}: {exc}'


def vr_name(vr):
    """pydicom 2.3 VRs are a str Enum: str() gives 'VR.OB', the value 'OB'."""
    if vr is None:
        return None
    return vr.value if isinstance(vr, enum.Enum) else str(vr)


def hex_tag(tag):
    return f'{int(tag):08X}'


def digest(data):
    return {'length': len(data), 'sha256': hashlib.sha256(data).hexdigest()}


def scalar(value, vr):
    """One value of an element, as JSON-safe data."""
    if value is None:
        return None
    if isinstance(value, PersonName):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return digest(bytes(value))
    if isinstance(value, bool):
        return int(value)
    if vr == 'AT' and isinstance(value, int):
        return hex_tag(value)
    if isinstance(value, float):
        number = float(value)
        if math.isnan(number):
            return 'NaN'
        if math.isinf(number):
            return 'Infinity' if number > 0 else '-Infinity'
        return number
    if isinstance(value, int):
        number = int(value)
        return number if abs(number) <= MAX_SAFE_INTEGER else str(number)
    if isinstance(value, str):
        if vr in NUMBER_STRING_VRS and value.strip() == '':
            return None  # DSfloat('') and IS('') stay ''
        return str(value)
    return f'<{type(value).__name__}> {value!r}'


def normalize_value(value, vr):
    if value is None:
        # pydicom gives None for an empty binary value: the digest of no bytes, as for b''.
        return digest(b'') if vr in BYTES_VRS else []
    if isinstance(value, (bytes, bytearray)):
        return digest(bytes(value))
    if isinstance(value, (str, PersonName)):
        # An empty text value, an empty PN and an empty DS/IS ('' in pydicom) are no value at all.
        return [] if str(value) == '' else [scalar(value, vr)]
    if isinstance(value, (MultiValue, list, tuple)):
        return [scalar(v, vr) for v in value]
    return [scalar(value, vr)]


def dump_dataset(ds):
    return [dump_element(ds, tag) for tag in sorted(ds.keys())]


def vr_unknown_in_file(ds, tag):
    """Whether the file does not say the VR of a private data element: implicit VR, or UN."""
    tag = BaseTag(tag)
    if not tag.is_private or tag.is_private_creator or tag.element < 0x1000:
        return False
    raw = ds._dict.get(tag)
    return isinstance(raw, RawDataElement) and vr_name(raw.VR) in (None, 'UN')


def dump_element(ds, tag):
    record = {'tag': hex_tag(tag)}
    from_private_dictionary = vr_unknown_in_file(ds, tag)
    try:
        elem = ds[tag]
    except Exception as exc:  # noqa: BLE001 - one bad element must not lose the file
        raw = ds._dict.get(tag)
        record['vr'] = vr_name(getattr(raw, 'VR', None))
        record['error'] = describe(exc)
        return record
    record['vr'] = vr_name(elem.VR)
    if from_private_dictionary and record['vr'] != 'UN':
        # pydicom took the VR from its dictionary of private tags (pydicom/_private_dict.py).
        record['vrFrom'] = 'private dictionary'
    try:
        if elem.VR == 'SQ' or isinstance(elem.value, Sequence):
            record['items'] = [dump_dataset(item) for item in (elem.value or [])]
        else:
            record['value'] = normalize_value(elem.value, record['vr'])
    except Exception as exc:  # noqa: BLE001
        record['error'] = describe(exc)
    return record


def dump_file(path):
    record = {'path': path, 'pydicom': pydicom.__version__}
    try:
        ds = pydicom.dcmread(path, force=True)
    except Exception as exc:  # noqa: BLE001
        record['error'] = describe(exc)
        record['meta'] = []
        record['dataset'] = []
        return record
    record['implicitVR'] = bool(getattr(ds, 'is_implicit_VR', False))
    record['littleEndian'] = bool(getattr(ds, 'is_little_endian', True))
    try:
        record['meta'] = dump_dataset(ds.file_meta) if ds.file_meta is not None else []
    except Exception as exc:  # noqa: BLE001
        record['meta'] = []
        record['metaError'] = describe(exc)
    try:
        record['dataset'] = dump_dataset(ds)
    except Exception as exc:  # noqa: BLE001
        record['dataset'] = []
        record['error'] = describe(exc)
    return record


def main(paths):
    warnings.simplefilter('ignore')
    logging.getLogger('pydicom').setLevel(logging.CRITICAL)
    out = sys.stdout
    for path in paths:
        out.write(json.dumps(dump_file(path), ensure_ascii=False, allow_nan=False))
        out.write('\n')
    out.flush()


if __name__ == '__main__':
    main(sys.argv[1:])

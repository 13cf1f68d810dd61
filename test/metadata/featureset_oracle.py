# Featureset values computed with pydicom 2.3.1 (Debian python3-pydicom), the oracle for
# test/metadata/featuresets.test.ts. It applies the typing and flattening rules documented in
# src/metadata/extract.ts to pydicom's reading of each file, so the test compares our parser and
# extraction with an independent reader.
#
# Usage: featureset_oracle.py FEATURESET.txt... -- FILE...
# Prints one JSON object: { file: { featureset: { key: value } } | { "error": message } }.
import base64
import json
import re
import sys

import pydicom
from pydicom.datadict import keyword_for_tag, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag

LEADING_INSIGNIFICANT = {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "SH", "TM"}
BINARY = {"OB", "OW", "OF", "OD", "OL", "OV", "UN"}
NUMERIC = {"US", "SS", "UL", "SL", "FL", "FD", "SV", "UV"}
PRIVATE_BY_CREATOR = re.compile(r"^(.+):([0-9a-fA-F]{4})xx([0-9a-fA-F]{2})$")
HEX_TAG = re.compile(r"^(?:0x)?([0-9a-fA-F]{4}),?(?:0x)?([0-9a-fA-F]{4})$")
PAREN_TAG = re.compile(r"^\(([0-9a-fA-F]{4}),([0-9a-fA-F]{4})\)$")


def read_featureset(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            item = raw.strip()
            if item == "" or item.startswith("#"):
                continue
            m = PRIVATE_BY_CREATOR.match(item)
            if m:
                entries.append(("private", m.group(1).strip(), int(m.group(2), 16), int(m.group(3), 16)))
                continue
            m = HEX_TAG.match(item) or PAREN_TAG.match(item)
            if m:
                entries.append(("tag", Tag(int(m.group(1), 16), int(m.group(2), 16)), None))
                continue
            tag = tag_for_keyword(item)
            if tag is not None:
                entries.append(("tag", Tag(tag), item))
    return entries


def hex8(tag):
    return "%08X" % int(tag)


def is_private(tag):
    return tag.group % 2 == 1 and tag.group > 7 and tag.group != 0xFFFF


def is_creator(tag):
    return is_private(tag) and 0x10 <= tag.element <= 0xFF


def creator_of(ds, tag):
    if tag.element < 0x1000:
        return None
    ctag = Tag(tag.group, tag.element >> 8)
    if ctag not in ds:
        return None
    value = ds[ctag].value
    if isinstance(value, bytes):
        value = value.decode("latin1")
    value = str(value).strip(" \x00")
    return value or None


def private_key(creator, group, offset):
    return "%s:%04Xxx%02X" % (creator, group, offset)


def key_of(ds, tag):
    if not is_private(tag):
        return keyword_for_tag(tag) or hex8(tag)
    if is_creator(tag):
        return "PrivateCreator:" + hex8(tag)
    creator = creator_of(ds, tag)
    if creator is None:
        return hex8(tag)
    return private_key(creator, tag.group, tag.element & 0xFF)


def binary_values(raw):
    if raw is None or len(raw) == 0:
        return []
    if all(b == 0x20 for b in raw):
        return []
    end = len(raw)
    while end > 0 and raw[end - 1] in (0, 0x20):
        end -= 1
    if end > 0 and all(0x20 <= b <= 0x7E for b in raw[:end]):
        text = raw.decode("latin1").rstrip("\x00 ").lstrip(" ")
        return [] if text == "" else [text]
    return [{"InlineBinary": base64.b64encode(raw).decode("ascii")}]


def one_or_many(values):
    if len(values) == 0:
        return None
    return values[0] if len(values) == 1 else values


def text(value, vr):
    s = str(value).rstrip(" \x00")
    if vr in LEADING_INSIGNIFICANT:
        s = s.lstrip(" ")
    return None if s == "" else s


def typed(ds, tag):
    raw = ds.get_item(tag)
    if isinstance(raw, RawDataElement) and is_private(tag) and raw.VR in (None, "UN"):
        return one_or_many(binary_values(raw.value))
    elem = ds[tag]
    vr = str(elem.VR)
    value = elem.value
    if value is None or value == "" or value == b"":
        return None
    if vr in BINARY:
        return one_or_many(binary_values(value if isinstance(value, bytes) else bytes(value)))
    many = isinstance(value, (list, tuple, pydicom.multival.MultiValue))
    values = list(value) if many else [value]
    out = []
    for v in values:
        if vr in ("DS", "IS"):
            if v is None or v == "":
                out.append(None)
            else:
                out.append(float(v) if vr == "DS" else int(v))
        elif vr == "AT":
            out.append(hex8(v))
        elif vr in NUMERIC:
            out.append(v)
        elif vr == "PN":
            out.append(text(str(v).rstrip(" \x00").rstrip("="), vr))
        else:
            out.append(text(v, vr))
    return one_or_many(out)


def flatten(out, prefix, name, items):
    for i, item in enumerate(items):
        item_prefix = "%d_%s" % (i, name) if prefix == "" else "%s_%d_%s" % (prefix, i, name)
        for tag in sorted(item.keys()):
            tag = Tag(tag)
            if is_creator(tag) or tag.element == 0:
                continue
            child = key_of(item, tag)
            raw = raw_private(item, tag)
            if raw is not None:
                out[item_prefix + "_" + child] = one_or_many(binary_values(raw.value))
                continue
            elem = item[tag]
            if str(elem.VR) == "SQ":
                if len(elem.value) == 0:
                    out[item_prefix + "_" + child] = None
                else:
                    flatten(out, item_prefix, child, elem.value)
            else:
                out[item_prefix + "_" + child] = typed(item, tag)


def raw_private(ds, tag):
    # A private element whose VR the file does not give (implicit VR, or UN): its bytes, before
    # pydicom converts it with its own private dictionary (we have none).
    raw = ds.get_item(tag)
    if isinstance(raw, RawDataElement) and is_private(tag) and raw.VR in (None, "UN"):
        return raw
    return None


def add(out, key, ds, tag):
    raw = raw_private(ds, tag)
    if raw is not None:
        out[key] = one_or_many(binary_values(raw.value))
        return
    elem = ds[tag]
    if str(elem.VR) == "SQ":
        if len(elem.value) == 0:
            out[key] = None
        else:
            flatten(out, "", key, elem.value)
        return
    out[key] = typed(ds, tag)


def extract(ds, entries):
    out = {}
    for entry in entries:
        if entry[0] == "private":
            _, creator, group, offset = entry
            for block in range(0x10, 0x100):
                ctag = Tag(group, block)
                if ctag in ds and creator_of_value(ds, ctag) == creator:
                    tag = Tag(group, (block << 8) | offset)
                    if tag in ds:
                        add(out, private_key(creator, group, offset), ds, tag)
                    break
            continue
        _, tag, key = entry
        if tag not in ds:
            continue
        add(out, key_of(ds, tag) if is_private(tag) or key is None else key, ds, tag)
    return out


def creator_of_value(ds, ctag):
    value = ds[ctag].value
    if isinstance(value, bytes):
        value = value.decode("latin1")
    return str(value).strip(" \x00")


def main():
    args = sys.argv[1:]
    split = args.index("--")
    featuresets = {re.sub(r"\.[^.]*$", "", p.split("/")[-1]): read_featureset(p) for p in args[:split]}
    result = {}
    for path in args[split + 1 :]:
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            result[path] = {name: extract(ds, entries) for name, entries in featuresets.items()}
        except Exception as error:  # noqa: BLE001 - any failure is reported, not fatal
            result[path] = {"error": "%s: %s" % (type(error).__name__, error)}
    json.dump(result, sys.stdout)


main()

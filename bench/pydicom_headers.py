"""Times pydicom header reads over a list of files, for bench/parse.bench.ts.

Usage: /usr/bin/python3 bench/pydicom_headers.py FILE_LIST ROUNDS [--memory]

FILE_LIST has one path per line. One untimed pass finds the files pydicom cannot read and warms
up; then ROUNDS timed passes over the files it can read. Each read is
`dcmread(f, stop_before_pixels=True)` followed by touching every value: `elem.value` of each file
meta element and of every element of the dataset and its sequence items (`iterall`), which is what
turns pydicom's raw elements into decoded values (strings, DSfloat/IS, PersonName, ints, floats,
bytes). With --memory every file's bytes are read before timing and dcmread gets a BytesIO;
without it dcmread opens the path inside the timing. Only the reading loop is timed (one clock
around the whole pass).

Prints one JSON object: {"version", "ok": [bool per file], "errors": {path: message},
"rounds": [ms per pass over the readable files], "cpu_rounds": [CPU ms of the same passes],
"elements": values touched per pass}.
"""

import io
import json
import sys
import time

import pydicom


def read(source):
    ds = pydicom.dcmread(source, stop_before_pixels=True)
    n = 0
    for elem in ds.file_meta:
        elem.value
        n += 1
    for elem in ds.iterall():
        elem.value
        n += 1
    return n


def main() -> None:
    list_path, rounds = sys.argv[1], int(sys.argv[2])
    memory = "--memory" in sys.argv[3:]
    with open(list_path, encoding="utf-8") as f:
        paths = [line for line in f.read().split("\n") if line]

    contents = {}
    if memory:
        for path in paths:
            with open(path, "rb") as f:
                contents[path] = f.read()

    def source(path):
        return io.BytesIO(contents[path]) if memory else path

    ok = []
    errors = {}
    for path in paths:
        try:
            read(source(path))
            ok.append(True)
        except Exception as e:  # noqa: BLE001 - any failure excludes the file from the timing
            ok.append(False)
            errors[path] = f"{type(e).__name__}: {e}"[:200]

    readable = [path for k, path in enumerate(paths) if ok[k]]
    results = []
    cpu_results = []
    elements = 0
    clock = time.perf_counter
    cpu_clock = time.process_time
    for _ in range(rounds):
        elements = 0
        t0 = clock()
        c0 = cpu_clock()
        for path in readable:
            elements += read(source(path))
        cpu_results.append((cpu_clock() - c0) * 1000.0)
        results.append((clock() - t0) * 1000.0)

    json.dump(
        {
            "version": pydicom.__version__,
            "ok": ok,
            "errors": errors,
            "rounds": results,
            "cpu_rounds": cpu_results,
            "elements": elements,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()

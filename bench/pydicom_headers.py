"""Times pydicom.dcmread(path, stop_before_pixels=True) over a list of files (bench/parse-headers.ts).

Usage: /usr/bin/python3 bench/pydicom_headers.py FILE_LIST ROUNDS
FILE_LIST has one path per line. One untimed pass finds the files pydicom cannot read and warms
up; then ROUNDS timed passes over the files it can read. Only the reading loop is timed. Prints one
JSON object: {"version", "ok": [bool per file], "errors": {path: message}, "rounds": [[ms per file
or null]]}.
"""

import json
import sys
import time

import pydicom


def main() -> None:
    list_path, rounds = sys.argv[1], int(sys.argv[2])
    with open(list_path, encoding="utf-8") as f:
        paths = [line for line in f.read().split("\n") if line]

    ok = []
    errors = {}
    for path in paths:
        try:
            pydicom.dcmread(path, stop_before_pixels=True)
            ok.append(True)
        except Exception as e:  # noqa: BLE001 - any failure excludes the file from the timing
            ok.append(False)
            errors[path] = f"{type(e).__name__}: {e}"[:200]

    readable = [(k, path) for k, path in enumerate(paths) if ok[k]]
    results = []
    clock = time.perf_counter
    for _ in range(rounds):
        times = [None] * len(paths)
        for k, path in readable:
            t0 = clock()
            pydicom.dcmread(path, stop_before_pixels=True)
            times[k] = (clock() - t0) * 1000.0
        results.append(times)

    json.dump({"version": pydicom.__version__, "ok": ok, "errors": errors, "rounds": results}, sys.stdout)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# `npm test [-- <test files> <node --test options>]`
#   1. makes sure the system tools the tests compare against are installed (Debian packages),
#      node_modules exists and dist/ is built;
#   2. checks PostgreSQL at 127.0.0.1:5432 (the SQLite-and-PostgreSQL suites need it);
#   3. runs test/**/*.test.ts (or only the files given) with Node's test runner.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'test.sh: %s\n' "$*" >&2; }

# --- 1. dependencies ------------------------------------------------------------------------
# DCMTK and Orthanc are interop peers; GDCM, pydicom, dcm2niix and dicom3tools are references.
APT_PACKAGES=(dcmtk orthanc libgdcm-tools python3-pydicom dcm2niix dicom3tools)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == 'install ok installed' ]] || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]]; then
    log "installing missing Debian packages: ${missing[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  else
    log "missing Debian packages: ${missing[*]}. Install them with:"
    printf '  sudo apt-get install -y --no-install-recommends %s\n' "${missing[*]}" >&2
    exit 2
  fi
fi

if [[ ! -d node_modules ]]; then
  log 'node_modules is missing: running npm ci'
  npm ci
fi
# Build when dist/ is missing or older than any source file (tests run the built CLI).
if [[ ! -f dist/bundle/main.js ]] ||
  [[ -n $(find src scripts/bundle.ts tsconfig.json tsconfig.build.json package-lock.json -newer dist/bundle/main.js -print -quit) ]]; then
  log 'building dist/'
  npm run --silent build
fi

# --- 2. PostgreSQL --------------------------------------------------------------------------
pg_ready() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h 127.0.0.1 -p 5432
  else
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
  fi
}
if ! pg_ready; then
  if [[ $(id -u) -eq 0 ]] && command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
    for version in $(ls /etc/postgresql); do
      log "starting PostgreSQL cluster $version/main"
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
  fi
  if ! pg_ready; then
    # The store, receiver and retrieval suites run on SQLite and on PostgreSQL: without it they fail.
    log 'PostgreSQL is not reachable at 127.0.0.1:5432 (trust auth, database "test"):'
    log 'the store, receiver and retrieval tests need it; start it, e.g. pg_ctlcluster 15 main start'
    exit 2
  fi
fi

# --- 3. tests -------------------------------------------------------------------------------
# Arguments that start with '-' go to node (e.g. --test-name-pattern=...), the rest are files.
files=()
options=()
for arg in "$@"; do
  if [[ $arg == -* ]]; then options+=("$arg"); else files+=("$arg"); fi
done
if ((${#files[@]} == 0)); then
  # Node 20 does not expand globs in --test arguments.
  mapfile -t files < <(find test -path test/corpus -prune -o -name '*.test.ts' -print | sort)
fi
if ((${#files[@]} == 0)); then
  log 'error: no test files found (test/**/*.test.ts)'
  exit 1
fi

# DCMTK peers need Nagle off on our side for request/response latency.
export TCP_NODELAY=1
status=0
# A test that hangs fails after 10 minutes (the longest, the crash test, takes about one) instead
# of holding CI until its own limit.
node --import tsx --test --test-reporter=spec --test-concurrency=2 --test-timeout=600000 \
  ${options[@]+"${options[@]}"} "${files[@]}" || status=$?
exit "$status"

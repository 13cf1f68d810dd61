// What a test does when a tool it compares against is missing. scripts/test.sh installs every
// Debian package the tests use (as root) or stops with the apt-get line, so a missing tool means a
// broken machine: in CI (CI is set by .ci/run) the test runs and fails, never skips silently.
// Elsewhere (a developer running one file) it is skipped with the reason, which the runner prints.

/** A node:test `skip` value: false when nothing is missing, else the reason (never in CI). */
export function skipWhenMissing(missing: string | false): string | false {
  if (missing === false) return false;
  return process.env['CI'] === undefined || process.env['CI'] === '' ? missing : false;
}

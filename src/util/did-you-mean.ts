// "Did you mean ...?" for a misspelt name (a config key, a command, a keyword).

/** Lower case without `_`, `-` and spaces: `ae_title`, `AeTitle` and `ae-title` all match. */
function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, '');
}

/**
 * Optimal-string-alignment distance: Levenshtein plus the transposition of two neighbours, so
 * `prot` is one edit from `port`.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(rows - 1, cols - 1);
}

/**
 * The candidate `word` was most likely meant to be, or undefined when none is close: the same
 * name in another case or separator style first, else the nearest within about a third of the
 * word's length in edits (at least one).
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const wanted = normalise(word);
  const limit = Math.max(1, Math.floor(wanted.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const normalised = normalise(candidate);
    if (normalised === wanted) return candidate;
    const distance = editDistance(wanted, normalised);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

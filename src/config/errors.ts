/** Stable codes of the errors the configuration loader raises. */
export type ConfigErrorCode =
  | 'CONFIG_INVALID' // the configuration (file, environment) breaks the schema: see `problems`
  | 'CONFIG_UNREADABLE'; // the config file cannot be read

/** Where a value came from, so that a problem can point at it. */
export type ConfigSource =
  | { readonly kind: 'file'; readonly file: string; readonly line?: number | undefined }
  | { readonly kind: 'env'; readonly variable: string }
  | { readonly kind: 'default' };

/** One thing wrong with the configuration. */
export interface ConfigProblem {
  /** The key, `dicom.allowedPeers[0].aeTitle`; '' for the configuration as a whole. */
  readonly path: string;
  readonly message: string;
  readonly source: ConfigSource;
}

/** `niffler.yaml:12: dicom.port: ...`, `dicom.port: ... (environment variable NIFFLER__...)`. */
export function formatProblem(problem: ConfigProblem): string {
  const key = problem.path === '' ? '' : `${problem.path}: `;
  const { source } = problem;
  switch (source.kind) {
    case 'file':
      return `${source.file}${source.line === undefined ? '' : `:${source.line}`}: ${key}${problem.message}`;
    case 'env':
      return `${key}${problem.message} (environment variable ${source.variable})`;
    case 'default':
      return `${key}${problem.message}`;
  }
}

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  /** Every problem found. Empty for CONFIG_UNREADABLE. */
  readonly problems: readonly ConfigProblem[];

  constructor(
    code: ConfigErrorCode,
    message: string,
    problems: readonly ConfigProblem[] = [],
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'ConfigError';
    this.code = code;
    this.problems = problems;
  }

  /** One CONFIG_INVALID error listing every problem, one per line. */
  static invalid(problems: readonly ConfigProblem[], what: string): ConfigError {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = problems.map((p) => `  ${formatProblem(p)}`);
    return new ConfigError(
      'CONFIG_INVALID',
      [`invalid configuration (${what}), ${count}:`, ...lines].join('\n'),
      problems,
    );
  }
}

/**
 * Stable codes of the errors the store raises. A caller branches on the code; `retryable` says
 * whether the same call may succeed later (a busy or unreachable database) or never will.
 */
export type StoreErrorCode =
  | 'BAD_URL' // the database URL names no supported database
  | 'MIGRATION_FAILED' // a migration failed; the database is left at the last good one
  | 'SCHEMA_TOO_NEW' // the database has migrations this code does not know (a newer release)
  | 'BAD_RECORD' // an instance record that cannot be indexed (missing UID...)
  | 'BAD_FEATURESET' // a featureset name or file the store cannot use
  | 'BAD_QUERY' // a query key the level does not support
  | 'CLOSED'; // the Db was closed

export interface StoreErrorDetails {
  readonly cause?: unknown;
  readonly retryable?: boolean;
}

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly retryable: boolean;

  constructor(code: StoreErrorCode, message: string, details: StoreErrorDetails = {}) {
    super(message, details.cause === undefined ? {} : { cause: details.cause });
    this.name = 'StoreError';
    this.code = code;
    this.retryable = details.retryable ?? false;
  }
}

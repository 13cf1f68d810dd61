import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DicomClient } from '../../net/services/client.js';
import { directoryStore } from '../../net/services/directory-store.js';
import {
  defaultStorageAcceptance,
  queryContext,
  storageContextsForGet,
  type StorageAcceptance,
} from '../../net/services/query-models.js';
import { CliError } from '../errors.js';
import type { QueryCliOptions, ScuCliOptions } from '../net-options.js';
import { clientOptions, followRetrieval, queryFromOptions, scuFailure } from './net.js';

export type GetCliOptions = ScuCliOptions &
  QueryCliOptions & {
    out: string;
    fsync: boolean;
    sopClass?: string[];
    transferSyntax?: string[];
  };

export async function get(options: GetCliOptions): Promise<void> {
  try {
    const { root, level, identifier } = queryFromOptions(options);
    const directory = resolve(options.out);
    await mkdir(directory, { recursive: true });
    const storage = storageContexts(options);
    const client = await DicomClient.connect({
      ...clientOptions(options.from, options),
      contexts: [queryContext(root, 'get'), ...storage.contexts],
      roles: storage.roles,
    });
    try {
      const sink = directoryStore({ directory, fsync: options.fsync });
      await followRetrieval('get', options.from, client.get({ root, level }, identifier, sink));
    } finally {
      await client.release().catch(() => client.abort());
    }
  } catch (error) {
    throw scuFailure('get', error);
  }
}

function storageContexts(options: GetCliOptions): ReturnType<typeof storageContextsForGet> {
  try {
    return storageContextsForGet(acceptance(options));
  } catch (error) {
    if (error instanceof RangeError) throw new CliError(`get: ${error.message}`, 2);
    throw error;
  }
}

/** The storage classes and syntaxes to propose, from the defaults narrowed by the options. */
function acceptance(options: GetCliOptions): StorageAcceptance[] {
  const defaults = defaultStorageAcceptance();
  const classes = options.sopClass ?? defaults.map((entry) => entry.sopClassUid);
  return classes.map((sopClassUid) => ({
    sopClassUid,
    transferSyntaxes:
      options.transferSyntax ??
      defaults.find((entry) => entry.sopClassUid === sopClassUid)?.transferSyntaxes ??
      defaults[0]!.transferSyntaxes,
  }));
}

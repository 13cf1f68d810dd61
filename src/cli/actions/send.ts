import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatStatus, statusCategory } from '../../net/dimse/status.js';
import { DicomClientError } from '../../net/services/client-errors.js';
import { DicomClient } from '../../net/services/client.js';
import {
  InstanceFileError,
  readInstanceFile,
  type InstanceFile,
} from '../../net/services/instance-file.js';
import { planStoreAssociations } from '../../net/services/store-plan.js';
import { CliError } from '../errors.js';
import type { PeerAddress, ScuCliOptions } from '../net-options.js';
import { clientOptions, formatPeer, scuFailure } from './net.js';

interface Failure {
  readonly path: string;
  readonly reason: string;
}

/**
 * Sends every DICOM file under `paths` over as few associations as the presentation context
 * limit allows; skips what is not DICOM with a warning. Prints a summary and the failures; the
 * exit code is 1 when any object failed.
 */
export async function send(
  paths: string[],
  options: ScuCliOptions & { to: PeerAddress },
): Promise<number> {
  const peer = formatPeer(options.to);
  const files: InstanceFile[] = [];
  let skipped = 0;
  for await (const path of walk(paths)) {
    try {
      files.push(await readInstanceFile(path));
    } catch (error) {
      if (!(error instanceof InstanceFileError)) throw scuFailure('send', error);
      skipped += 1;
      process.stderr.write(`niffler send: skipping ${error.message}\n`);
    }
  }
  if (files.length === 0) throw new CliError('send: no DICOM files to send', 1);

  const plans = planStoreAssociations(files);
  const failures: Failure[] = [];
  let stored = 0;
  let warnings = 0;
  for (const plan of plans) {
    let client: DicomClient;
    try {
      client = await DicomClient.connect({
        ...clientOptions(options.to, options),
        contexts: plan.contexts,
      });
    } catch (error) {
      const reason = reasonOf(error);
      for (const file of plan.items) failures.push({ path: file.path, reason });
      continue;
    }
    let lost: string | undefined;
    for (const file of plan.items) {
      if (lost !== undefined) {
        failures.push({ path: file.path, reason: lost });
        continue;
      }
      try {
        const result = await client.store(file);
        stored += 1;
        if (statusCategory(result.status) === 'warning') {
          warnings += 1;
          process.stderr.write(
            `niffler send: ${file.path}: stored with warning ${formatStatus(result.status)}${result.errorComment === undefined ? '' : ` (${result.errorComment})`}\n`,
          );
        }
      } catch (error) {
        const reason = reasonOf(error);
        failures.push({ path: file.path, reason });
        if (!client.isOpen) lost = reason;
      }
    }
    await client.release().catch(() => client.abort());
  }

  for (const failure of failures) {
    process.stderr.write(`niffler send: failed: ${failure.path}: ${failure.reason}\n`);
  }
  const associations = `${plans.length} association${plans.length === 1 ? '' : 's'}`;
  process.stdout.write(
    `sent to ${peer} over ${associations}: ${stored} stored` +
      (warnings > 0 ? ` (${warnings} with warnings)` : '') +
      `, ${failures.length} failed` +
      (skipped > 0 ? `, ${skipped} skipped (not DICOM)` : '') +
      '\n',
  );
  return failures.length > 0 ? 1 : 0;
}

/** A failure's reason for the report: our typed errors' messages; anything else is a bug. */
function reasonOf(error: unknown): string {
  if (error instanceof DicomClientError || error instanceof InstanceFileError) {
    return error.message;
  }
  throw error;
}

/** The files under `paths`, each folder in name order, recursively (symbolic links to folders are not followed). */
async function* walk(paths: readonly string[]): AsyncGenerator<string> {
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'error';
      throw new CliError(
        `send: ${path}: ${code === 'ENOENT' ? 'no such file or folder' : code}`,
        1,
      );
    }
    if (info.isDirectory()) yield* walkFolder(path);
    else yield path;
  }
}

async function* walkFolder(folder: string): AsyncGenerator<string> {
  const entries = await readdir(folder, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* walkFolder(path);
    else if (entry.isFile()) yield path;
    else if (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isFile()) {
      yield path;
    }
  }
}

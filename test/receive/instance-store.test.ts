// instanceStore (src/receive/instance-store.ts): the C-STORE handler of the real-time path. Real
// objects from the corpus go over a real association (our StoreScu) into a DicomServer; each
// test checks the files under the storage root, the commit hook's view, the status the sender
// got, and that no temporary file is left. The disk-full case fills a real (tmpfs) file system.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Status } from '../../src/net/dimse/status.js';
import { DicomServer } from '../../src/net/services/server.js';
import { ReceiveError } from '../../src/receive/errors.js';
import {
  CommittedNotDurableError,
  instanceStore,
  type CommitResult,
  type StoredInstance,
} from '../../src/receive/instance-store.js';
import { TEMP_ROOT } from '../../src/receive/temp-area.js';
import {
  allCorpusInstances,
  LOCALHOST,
  makeTempDir,
  pickInstances,
  readPart10,
  removeDir,
  runTool,
  StoreScu,
  stringOf,
  tags,
  type CorpusInstance,
  type OutgoingFile,
} from '../helpers/scp-harness.js';
import { skipWhenMissing } from '../helpers/skip.js';

const TEMPLATE = '{00100020}/{0020000D}/{0020000E}/{00080018}.dcm';

/** Every regular file under `root`, relative, sorted ('/'-separated). */
function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

interface Harness {
  readonly root: string;
  readonly port: number;
  readonly commits: StoredInstance[];
  /** Waits for the temporary names removed in the background after each Success. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

async function startStore(
  root: string,
  options: {
    commit?: (stored: StoredInstance) => Promise<CommitResult | void>;
    admit?: () => void;
  } = {},
): Promise<Harness> {
  const commits: StoredInstance[] = [];
  const store = instanceStore({
    root,
    pathTemplate: TEMPLATE,
    admit: options.admit,
    commit: async (stored) => {
      commits.push(stored);
      return options.commit?.(stored);
    },
  });
  const server = new DicomServer({
    aeTitle: 'NIFFLER',
    host: LOCALHOST,
    port: 0,
    handlers: { store },
  });
  const { port } = await server.listen();
  const close = async (): Promise<void> => {
    await server.close(2_000);
    // The temporary names removed after the answers, and the directory descriptors kept open.
    await store.settled();
  };
  return { root, port, commits, settled: () => store.settled(), close };
}

async function send(port: number, files: readonly OutgoingFile[]): Promise<number[]> {
  const scu = await StoreScu.open(
    { host: LOCALHOST, port, calledAeTitle: 'NIFFLER', callingAeTitle: 'SENDER' },
    files,
  );
  const statuses: number[] = [];
  try {
    for (const file of files) statuses.push(await scu.store(file));
  } finally {
    await scu.release();
  }
  return statuses;
}

/** Files outside the temporary area. */
function storedFiles(root: string): string[] {
  return filesUnder(root).filter((f) => !f.startsWith(`${TEMP_ROOT}/`));
}

function tempFiles(root: string): string[] {
  return filesUnder(path.join(root, TEMP_ROOT));
}

const SYNTAXES = [
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.2',
  '1.2.840.10008.1.2.1.99',
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.70',
  '1.2.840.10008.1.2.4.90',
  '1.2.840.10008.1.2.5',
];

describe('instanceStore', () => {
  let work: string;
  let instances: CorpusInstance[];

  before(async () => {
    work = await makeTempDir('instance-store');
    instances = pickInstances(
      SYNTAXES,
      2,
      (i) => i.studyInstanceUid !== '' && i.seriesInstanceUid !== '',
    );
  });

  after(async () => {
    if (work !== undefined) await removeDir(work);
  });

  it('stores each object verbatim at its template path, then commits, then answers Success', async () => {
    const root = path.join(work, 'ok');
    const store = await startStore(root);
    try {
      assert.ok(instances.length >= SYNTAXES.length, `corpus gave ${instances.length} instances`);
      const statuses = await send(store.port, instances);
      assert.deepEqual(
        statuses,
        instances.map(() => Status.Success),
        'every store succeeded',
      );
      assert.equal(store.commits.length, instances.length, 'one commit per object');
      for (const [i, instance] of instances.entries()) {
        const stored = store.commits[i]!;
        assert.equal(stored.sopInstanceUid, instance.sopInstanceUid, instance.name);
        assert.equal(stored.sopClassUid, instance.sopClassUid, instance.name);
        assert.equal(stored.studyInstanceUid, instance.studyInstanceUid, instance.name);
        assert.equal(stored.seriesInstanceUid, instance.seriesInstanceUid, instance.name);
        assert.equal(stored.transferSyntaxUid, instance.transferSyntaxUid, instance.name);
        assert.equal(stored.callingAeTitle, 'SENDER', instance.name);
        assert.equal(stored.relativePath, stored.templatePath, `${instance.name}: no collision`);
        assert.equal(stored.path, path.join(root, stored.relativePath), instance.name);
        assert.ok(
          stored.relativePath.endsWith(`/${instance.sopInstanceUid}.dcm`),
          `${instance.name}: ${stored.relativePath} is named by the SOP Instance UID`,
        );
        assert.equal(
          stringOf(stored.header, tags.PatientID) ?? '',
          instance.patientId,
          instance.name,
        );
        const file = readPart10(stored.path);
        assert.equal(statSync(stored.path).size, stored.size, `${instance.name}: size`);
        assert.ok(
          file.datasetBytes.equals(readPart10(instance.path).datasetBytes),
          `${instance.name}: data set bytes identical to the original`,
        );
        assert.equal(
          stringOf(file.meta, tags.SourceApplicationEntityTitle),
          'SENDER',
          `${instance.name}: source AE in the file meta`,
        );
      }
      await store.settled();
      assert.deepEqual(tempFiles(root), [], 'no temporary file left');
      const dcmdump = await runTool('dcmdump', ['-q', store.commits[0]!.path]);
      assert.equal(dcmdump.code, 0, `dcmdump reads a stored file: ${dcmdump.stderr}`);
    } finally {
      await store.close();
    }
  });

  it('removes the file when the commit fails, and answers a failure status', async () => {
    const root = path.join(work, 'commit-fails');
    const store = await startStore(root, {
      commit: async () => {
        throw new Error('index unavailable');
      },
    });
    try {
      const statuses = await send(store.port, instances.slice(0, 3));
      assert.deepEqual(statuses, [0x0110, 0x0110, 0x0110], 'processing failure for each');
      assert.equal(store.commits.length, 3, 'the commit was attempted each time');
      assert.deepEqual(storedFiles(root), [], 'no file stays under the storage root');
      assert.deepEqual(tempFiles(root), [], 'no temporary file stays');
    } finally {
      await store.close();
    }
  });

  it('keeps the file of a commit that is not durable, and answers a failure status', async () => {
    // The transaction committed (the row exists) but the WAL's fdatasync failed: the sender must
    // try again, and the row must not point to a file that was deleted.
    const root = path.join(work, 'commit-not-durable');
    const store = await startStore(root, {
      commit: async () => {
        throw new CommittedNotDurableError(new Error('EIO'));
      },
    });
    try {
      const statuses = await send(store.port, instances.slice(0, 2));
      assert.deepEqual(statuses, [0x0110, 0x0110], 'processing failure for each');
      assert.equal(storedFiles(root).length, 2, 'each file stays where its row says');
      await store.settled();
      assert.deepEqual(tempFiles(root), [], 'no temporary file stays');
    } finally {
      await store.close();
    }
  });

  it('never overwrites a file: a second copy gets name~1, and discard removes it', async () => {
    const root = path.join(work, 'duplicates');
    let discard = false;
    const store = await startStore(root, { commit: async () => ({ discard }) });
    try {
      const instance = instances[0]!;
      assert.deepEqual(await send(store.port, [instance]), [Status.Success], 'first copy');
      assert.deepEqual(await send(store.port, [instance]), [Status.Success], 'second copy');
      const [first, second] = store.commits;
      assert.ok(first !== undefined && second !== undefined, 'two commits');
      assert.equal(second.templatePath, first.templatePath, 'same template path');
      assert.equal(
        second.relativePath,
        first.relativePath.replace(/\.dcm$/, '~1.dcm'),
        'the second copy gets the next free name',
      );
      assert.deepEqual(
        storedFiles(root),
        [first.relativePath, second.relativePath].sort(),
        'both kept',
      );
      discard = true;
      assert.deepEqual(await send(store.port, [instance]), [Status.Success], 'third copy');
      const third = store.commits[2]!;
      assert.equal(
        third.relativePath,
        first.relativePath.replace(/\.dcm$/, '~2.dcm'),
        'third name',
      );
      assert.deepEqual(
        storedFiles(root),
        [first.relativePath, second.relativePath].sort(),
        'the discarded copy is gone, the others untouched',
      );
      assert.ok(
        readFileSync(first.path).equals(readFileSync(second.path)),
        'both copies hold the same object',
      );
      await store.settled();
      assert.deepEqual(tempFiles(root), [], 'no temporary file left');
    } finally {
      await store.close();
    }
  });

  it('refuses with the admit hook status before writing anything', async () => {
    const root = path.join(work, 'refused');
    const store = await startStore(root, {
      admit: () => {
        throw new ReceiveError('DISK_FULL', 'disk above the hard limit');
      },
    });
    try {
      assert.deepEqual(await send(store.port, instances.slice(0, 2)), [0xa700, 0xa700], 'A700');
      assert.equal(store.commits.length, 0, 'no commit');
      assert.deepEqual(filesUnder(root), [], 'nothing written');
    } finally {
      await store.close();
    }
  });

  it('refuses a data set that does not parse (C000) or names another SOP instance (A900)', async () => {
    const root = path.join(work, 'bad-data');
    const store = await startStore(root);
    try {
      const garbage = path.join(work, 'garbage.bin');
      // An element header (0010,0010) PN whose length runs past the end of the data set.
      const bytes = Buffer.alloc(64);
      bytes.writeUInt16LE(0x0010, 0);
      bytes.writeUInt16LE(0x0010, 2);
      bytes.write('PN', 4, 'latin1');
      bytes.writeUInt16LE(0x1000, 6);
      writeFileSync(garbage, bytes);
      const instance = instances.find((i) => i.transferSyntaxUid === '1.2.840.10008.1.2.1')!;
      const statuses = await send(store.port, [
        { ...instance, path: garbage, datasetOffset: 0 },
        { ...instance, sopInstanceUid: '1.2.3.4.5.6.7.8.9' },
      ]);
      assert.deepEqual(
        statuses,
        [Status.CannotUnderstand, Status.DataSetDoesNotMatchSopClass],
        'statuses',
      );
      assert.equal(store.commits.length, 0, 'no commit');
      assert.deepEqual(storedFiles(root), [], 'no file stored');
      assert.deepEqual(tempFiles(root), [], 'no temporary file left');
    } finally {
      await store.close();
    }
  });

  const notRoot = process.getuid?.() === 0 ? false : 'mounting a tmpfs needs root';
  it(
    'answers A700 when the disk is really full, and leaves no partial file',
    { skip: skipWhenMissing(notRoot) },
    async () => {
      const root = path.join(work, 'full');
      await mkdir(root, { recursive: true });
      const mounted = await runTool('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', root]);
      assert.equal(mounted.code, 0, `mount tmpfs: ${mounted.stderr}`);
      try {
        const store = await startStore(root);
        try {
          const large = allCorpusInstances().find(
            (i) =>
              Number(i.row.size_bytes) > 400 * 1024 &&
              i.studyInstanceUid !== '' &&
              i.seriesInstanceUid !== '',
          );
          assert.ok(large !== undefined, 'the corpus has an object larger than the file system');
          const statuses = await send(store.port, [large]);
          assert.deepEqual(statuses, [Status.OutOfResources], 'out of resources');
          assert.equal(store.commits.length, 0, 'no commit');
          assert.deepEqual(storedFiles(root), [], 'no file stored');
          assert.deepEqual(tempFiles(root), [], 'no partial temporary file');
          const small = instances.find((i) => Number(i.row.size_bytes) < 64 * 1024)!;
          assert.deepEqual(
            await send(store.port, [small]),
            [Status.Success],
            'a small object still fits',
          );
        } finally {
          await store.close();
        }
      } finally {
        const unmounted = await runTool('umount', [root]);
        assert.equal(unmounted.code, 0, `umount: ${unmounted.stderr}`);
      }
    },
  );
});

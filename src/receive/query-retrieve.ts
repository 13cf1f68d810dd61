/**
 * Query/Retrieve SCP from the index (PS3.4 C.6.1 Patient Root, C.6.2 Study Root): C-FIND
 * answers from the index tables, C-MOVE sends the stored files to a configured destination,
 * C-GET sends them back on the requestor's association. Only what is still on disk answers
 * (purged series are left out). Only peers the configuration allows may use it: anyone else
 * gets "Refused: Not Authorized" (0124, PS3.7 C.5).
 *
 * Matching (PS3.4 C.2.2.2) is done by the database for the keys the index holds
 * (store/queries/find.ts: single value, wildcard, UID list, date/time range); a matching key the
 * index does not hold is not used to filter (PS3.4 C.4.1.2.2.1 lets an SCP not support matching
 * on optional keys), and a return key with no value here comes back empty. Files are sent
 * exactly as stored: never transcoded (a peer that accepts no context for an object's transfer
 * syntax counts it as a failed sub-operation).
 */
import { Dataset, EXPLICIT_LITTLE } from '../dicom/dataset.js';
import { lookupTag, tagForKeyword } from '../dicom/dictionary/index.js';
import { makeTag, SPECIFIC_CHARACTER_SET, type Tag } from '../dicom/tag.js';
import { readStrings } from '../dicom/values/strings.js';
import { STRING_VRS } from '../dicom/vr.js';
import { setStrings } from '../dicom/write/edit.js';
import { Status } from '../net/dimse/status.js';
import { DicomClient } from '../net/services/client.js';
import {
  DimseStatusError,
  type AssociationInfo,
  type FindHandler,
  type GetHandler,
  type MoveHandler,
  type RetrieveResult,
  type ServiceHandlers,
} from '../net/services/handlers.js';
import { readInstanceFile } from '../net/services/instance-file.js';
import { queryModelOf, type QueryLevel } from '../net/services/query-models.js';
import { planStoreAssociations } from '../net/services/store-plan.js';
import type { Db } from '../store/database.js';
import {
  findInstances,
  findPatients,
  findSeries,
  findStudies,
  instancesFor,
  type InstanceLocation,
} from '../store/queries/find.js';
import path from 'node:path';

const QUERY_RETRIEVE_LEVEL = makeTag(0x0008, 0x0052);
const RETRIEVE_AE_TITLE = makeTag(0x0008, 0x0054);

/** Matching keys the index holds, per level (the levels above are allowed too). */
const MATCHING: Readonly<Record<QueryLevel, readonly string[]>> = {
  PATIENT: ['PatientID', 'IssuerOfPatientID', 'PatientName', 'PatientBirthDate', 'PatientSex'],
  STUDY: [
    'StudyInstanceUID',
    'StudyDate',
    'StudyTime',
    'AccessionNumber',
    'StudyID',
    'StudyDescription',
    'ReferringPhysicianName',
    'ModalitiesInStudy',
  ],
  SERIES: [
    'SeriesInstanceUID',
    'Modality',
    'SeriesNumber',
    'SeriesDescription',
    'BodyPartExamined',
    'SeriesDate',
    'SeriesTime',
    'StationName',
    'Manufacturer',
    'ManufacturerModelName',
    'DeviceSerialNumber',
    'InstitutionName',
  ],
  IMAGE: ['SOPInstanceUID', 'SOPClassUID', 'InstanceNumber'],
};
const LEVELS: readonly QueryLevel[] = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'];
/** The unique key of each level (PS3.4 C.6.1.1, C.6.2.1). */
const UNIQUE_KEY: Readonly<Record<QueryLevel, string>> = {
  PATIENT: 'PatientID',
  STUDY: 'StudyInstanceUID',
  SERIES: 'SeriesInstanceUID',
  IMAGE: 'SOPInstanceUID',
};

export interface AllowedPeer {
  readonly aeTitle: string;
  readonly host?: string | null | undefined;
}

export interface MoveDestination {
  readonly host: string;
  readonly port: number;
}

export interface QueryRetrieveOptions {
  readonly db: Db;
  /** The storage root the index paths are relative to. */
  readonly root: string;
  /** Our AE title: the calling AE title of C-MOVE sub-operations, the Retrieve AE Title. */
  readonly aeTitle: string;
  /** Who may query and retrieve; empty = nobody. */
  readonly allowedPeers: readonly AllowedPeer[];
  readonly moveDestinations: Readonly<Record<string, MoveDestination>>;
  /** Most matches one C-FIND returns (more: Refused, out of resources A700). Default 10000. */
  readonly maxMatches?: number | undefined;
  /** Told when an operation ends, for metrics and logs. */
  readonly onDone?: ((operation: 'find' | 'move' | 'get', status: number) => void) | undefined;
}

export function queryRetrieveHandlers(
  options: QueryRetrieveOptions,
): Required<Pick<ServiceHandlers, 'find' | 'move' | 'get'>> {
  const authorize = (association: AssociationInfo): void => {
    const ok = options.allowedPeers.some(
      (peer) =>
        peer.aeTitle === association.callingAeTitle &&
        (peer.host == null ||
          peer.host.replace(/^::ffff:/, '') === association.remoteAddress.replace(/^::ffff:/, '')),
    );
    if (!ok) {
      throw new DimseStatusError(
        Status.RefusedNotAuthorized,
        `${association.callingAeTitle} may not query or retrieve`,
      );
    }
  };

  const find: FindHandler = async function* (request) {
    let status: number = Status.Success;
    try {
      authorize(request.association);
      const { level, filters, requested } = readIdentifier(
        request.identifier,
        request.command.affectedSopClassUid,
      );
      const limit = (options.maxMatches ?? 10_000) + 1;
      const rows = await findAtLevel(options.db, level, filters, limit);
      if (rows.length >= limit) {
        throw new DimseStatusError(
          Status.OutOfResources,
          `more than ${limit - 1} matches: narrow the query`,
        );
      }
      for (const row of rows) {
        if (request.signal.aborted) return;
        yield responseFor(requested, row, level, options.aeTitle);
      }
    } catch (error) {
      status = error instanceof DimseStatusError ? error.status : Status.UnableToProcess;
      throw error;
    } finally {
      options.onDone?.('find', status);
    }
  };

  async function* retrieve(
    request: Parameters<MoveHandler>[0] | Parameters<GetHandler>[0],
    send: (
      files: readonly InstanceLocation[],
      onResult: (location: InstanceLocation, status: number) => void,
    ) => AsyncGenerator<void>,
  ): AsyncGenerator<
    { remaining: number; completed: number; failed: number; warning: number },
    RetrieveResult
  > {
    authorize(request.association);
    const { level, uids } = retrieveKeys(request.identifier, request.command.affectedSopClassUid);
    const files = await instancesFor(options.db.kysely, level, uids);
    const counts = { remaining: files.length, completed: 0, failed: 0, warning: 0 };
    const failedSopInstanceUids: string[] = [];
    const onResult = (location: InstanceLocation, status: number): void => {
      counts.remaining--;
      if (status === Status.Success) counts.completed++;
      else if (status >= 0xb000 && status <= 0xbfff) counts.warning++;
      else {
        counts.failed++;
        failedSopInstanceUids.push(location.sopInstanceUid);
      }
    };
    for await (const _ of send(files, onResult)) {
      yield { ...counts };
      if (request.signal.aborted) break;
    }
    return {
      completed: counts.completed,
      failed: counts.failed,
      warning: counts.warning,
      remaining: counts.remaining,
      failedSopInstanceUids,
    };
  }

  const move: MoveHandler = async function* (request) {
    let status: number = Status.Success;
    try {
      const destinationAe = request.command.moveDestination;
      const destination = options.moveDestinations[destinationAe];
      if (destination === undefined) {
        authorize(request.association);
        throw new DimseStatusError(
          Status.MoveDestinationUnknown,
          `move destination ${destinationAe} is not configured`,
        );
      }
      const result = yield* retrieve(request, async function* (files, onResult) {
        for (const plan of planStoreAssociations(files)) {
          if (request.signal.aborted) return;
          let client: DicomClient;
          try {
            client = await DicomClient.connect({
              host: destination.host,
              port: destination.port,
              callingAeTitle: options.aeTitle,
              calledAeTitle: destinationAe,
              contexts: plan.contexts,
            });
          } catch {
            for (const file of plan.items) onResult(file, Status.ProcessingFailure);
            yield;
            continue;
          }
          try {
            for (const file of plan.items) {
              if (request.signal.aborted) return;
              onResult(
                file,
                await storeOne(client, options.root, file, {
                  aeTitle: request.association.callingAeTitle,
                  messageId: request.command.messageId,
                }),
              );
              yield;
            }
          } finally {
            await client.release().catch(() => client.abort());
          }
        }
      });
      status = (result.failed ?? 0) > 0 ? Status.SubOperationsCompleteWithFailures : Status.Success;
      return result;
    } catch (error) {
      status = error instanceof DimseStatusError ? error.status : Status.UnableToProcess;
      throw error;
    } finally {
      options.onDone?.('move', status);
    }
  };

  const get: GetHandler = async function* (request) {
    let status: number = Status.Success;
    try {
      const result = yield* retrieve(request, async function* (files, onResult) {
        for (const file of files) {
          if (request.signal.aborted) return;
          let sent: number;
          try {
            const instance = await readInstanceFile(path.join(options.root, file.path));
            sent = await request.store(instance);
          } catch {
            sent = Status.ProcessingFailure;
          }
          onResult(file, sent);
          yield;
        }
      });
      status = (result.failed ?? 0) > 0 ? Status.SubOperationsCompleteWithFailures : Status.Success;
      return result;
    } catch (error) {
      status = error instanceof DimseStatusError ? error.status : Status.UnableToProcess;
      throw error;
    } finally {
      options.onDone?.('get', status);
    }
  };

  return { find, move, get };
}

async function storeOne(
  client: DicomClient,
  root: string,
  file: InstanceLocation,
  moveOriginator: { aeTitle: string; messageId: number },
): Promise<number> {
  try {
    const result = await client.store(path.join(root, file.path), { moveOriginator });
    return result.status;
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    return typeof status === 'number' ? status : Status.ProcessingFailure;
  }
}

// --- identifiers --------------------------------------------------------------------------------

interface Requested {
  readonly tag: Tag;
  readonly keyword: string;
}

function levelOf(identifier: Dataset, sopClassUid: string): QueryLevel {
  const element = identifier.get(QUERY_RETRIEVE_LEVEL);
  let level = '';
  if (element?.kind === 'value') {
    try {
      level = (readStrings(identifier, element)[0] ?? '').trim();
    } catch {
      level = '';
    }
  }
  if (!(LEVELS as readonly string[]).includes(level)) {
    throw new DimseStatusError(
      Status.IdentifierDoesNotMatchSopClass,
      `QueryRetrieveLevel '${level}' is not PATIENT, STUDY, SERIES or IMAGE`,
    );
  }
  const model = queryModelOf(sopClassUid);
  if (model?.root === 'study' && level === 'PATIENT') {
    throw new DimseStatusError(
      Status.IdentifierDoesNotMatchSopClass,
      'the Study Root model has no PATIENT level (PS3.4 C.6.2.1)',
    );
  }
  return level as QueryLevel;
}

function valuesOf(identifier: Dataset, tag: Tag): string[] {
  const element = identifier.get(tag);
  if (element?.kind !== 'value') return [];
  try {
    return readStrings(identifier, element).map((v) => v.trim());
  } catch {
    return [];
  }
}

/** The level, the filters the index can apply, and the keys to return. */
export function readIdentifier(
  identifier: Dataset,
  sopClassUid: string,
): { level: QueryLevel; filters: Record<string, string | string[]>; requested: Requested[] } {
  const level = levelOf(identifier, sopClassUid);
  const allowed = new Set(LEVELS.slice(0, LEVELS.indexOf(level) + 1).flatMap((l) => MATCHING[l]));
  const filters: Record<string, string | string[]> = {};
  const requested: Requested[] = [];
  for (const element of identifier.sorted()) {
    const tag = element.tag;
    if (tag === QUERY_RETRIEVE_LEVEL || tag === SPECIFIC_CHARACTER_SET) continue;
    if ((tag & 0xffff) === 0) continue;
    const keyword = lookupTag(tag)?.keyword ?? '';
    requested.push({ tag, keyword });
    if (!allowed.has(keyword) || element.kind !== 'value') continue;
    const values = valuesOf(identifier, tag).filter((v) => v !== '');
    if (values.length === 0) continue;
    filters[keyword] = values.length === 1 ? values[0]! : values;
  }
  return { level, filters, requested };
}

/** C-MOVE/C-GET: the level and the unique keys asked for (PS3.4 C.4.2.2.1). */
function retrieveKeys(
  identifier: Dataset,
  sopClassUid: string,
): { level: QueryLevel; uids: string[] } {
  const level = levelOf(identifier, sopClassUid);
  const tag = tagForKeyword(UNIQUE_KEY[level])!;
  const uids = valuesOf(identifier, tag).filter((v) => v !== '');
  if (uids.length === 0) {
    throw new DimseStatusError(
      Status.IdentifierDoesNotMatchSopClass,
      `a ${level} level retrieve needs ${UNIQUE_KEY[level]}`,
    );
  }
  return { level, uids };
}

type Row = Record<string, unknown>;

async function findAtLevel(
  db: Db,
  level: QueryLevel,
  filters: Record<string, string | string[]>,
  limit: number,
): Promise<Row[]> {
  const ex = db.kysely;
  switch (level) {
    case 'PATIENT':
      return (await findPatients(ex, filters, { limit })) as unknown as Row[];
    case 'STUDY':
      return (await findStudies(ex, filters, { limit })) as unknown as Row[];
    case 'SERIES':
      return (await findSeries(ex, filters, { limit })) as unknown as Row[];
    case 'IMAGE':
      return (await findInstances(ex, filters, { limit })) as unknown as Row[];
  }
}

/** A C-FIND response: each requested key, with the row's value where the index has one. */
function responseFor(
  requested: readonly Requested[],
  row: Row,
  level: QueryLevel,
  aeTitle: string,
): Dataset {
  const out = new Dataset(EXPLICIT_LITTLE);
  const texts = new Map<Tag, string[]>();
  for (const { tag, keyword } of requested) {
    let value: unknown = row[keyword];
    if (tag === RETRIEVE_AE_TITLE) value = aeTitle;
    texts.set(tag, toStrings(value));
  }
  const nonAscii = [...texts.values()].some((values) => values.some((v) => /[^\x20-\x7e]/.test(v)));
  if (nonAscii) setStrings(out, SPECIFIC_CHARACTER_SET, ['ISO_IR 192']);
  setStrings(out, QUERY_RETRIEVE_LEVEL, [level]);
  for (const { tag } of requested) {
    const vr = lookupTag(tag)?.vr;
    const values = texts.get(tag) ?? [];
    if (vr === undefined || !STRING_VRS.has(vr)) {
      // A binary or sequence return key the index does not hold: zero length (universal).
      out.elements.set(tag, {
        kind: 'value',
        tag,
        vr: vr ?? 'UN',
        wireVR: vr ?? 'UN',
        offset: -1,
        length: 0,
        bytes: new Uint8Array(0),
      });
      continue;
    }
    try {
      setStrings(out, tag, values, vr);
    } catch {
      setStrings(out, tag, [], vr);
    }
  }
  return out;
}

function toStrings(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const one = (v: unknown): string =>
    typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
  if (Array.isArray(value)) return value.map(one);
  return [one(value)];
}

// Converting the original Niffler's configuration files into ours (niffler.md 2.1 and 2.2):
//   - cold-extraction/system.json (per deployment: the PACS, our AE, the nightly window);
//   - cold-extraction/config.json (per extraction: storage, CSV columns, date format, e-mail),
//     both its current form (NumberOfQueryAttributes, FirstAttr/FirstIndex...) and the older one
//     (ExtractionType with PatientIndex, AccessionIndex, DateIndex, DateType);
//   - meta-extraction/service/system.json (the real-time receiver).
// Pure: takes the parsed JSON values, returns our configuration (only the keys that differ from
// nothing, defaults left to the schema) and one warning per key that has no equivalent or was
// not converted as it stood. The command that reads and writes the files is the CLI's.
import {
  parsePeerAddress,
  aeTitleProblem,
  dateFormatProblem,
  pathTemplateProblem,
} from './values.js';
import type { ConfigInput } from './schema.js';

export interface NifflerOriginalFiles {
  /** cold-extraction/system.json, parsed. */
  readonly system?: unknown;
  /** cold-extraction/config.json, parsed. */
  readonly config?: unknown;
  /** meta-extraction/service/system.json, parsed. */
  readonly metaSystem?: unknown;
  /**
   * The header line of the cohort CSV, split into cells. With it, CSV columns are mapped by their
   * header; without it, by position (`#0`, `#1`...), as the original's *Index keys did.
   */
  readonly csvHeader?: readonly string[];
}

export interface NifflerImport {
  readonly config: ConfigInput;
  readonly warnings: readonly string[];
}

type Json = Record<string, unknown>;

const SYSTEM = 'system.json';
const CONFIG = 'config.json';
const META = 'meta-extraction system.json';
/** The original's placeholder e-mail address (config.json's default). */
const PLACEHOLDER_EMAIL = 'test@test.test';

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

/** JSON booleans, and the strings the original's argparse-era files sometimes hold. */
function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) {
    return value.trim().toLowerCase() === 'true';
  }
  if (value === 0 || value === 1) return value === 1;
  return undefined;
}

function asInteger(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}

function asText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** `AET:PORT` (the original's QueryAet). */
function parseLocalAe(text: string): { aeTitle: string; port: number } | undefined {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  if (!match) return undefined;
  const aeTitle = match[1] ?? '';
  const port = Number(match[2]);
  return aeTitleProblem(aeTitle) === undefined && port >= 1 && port <= 65535
    ? { aeTitle, port }
    : undefined;
}

const pad = (hour: number): string => String(hour).padStart(2, '0');

/** Converts the original's files; see the header comment. */
export function importNifflerConfig(files: NifflerOriginalFiles): NifflerImport {
  const warnings: string[] = [];
  const warn = (file: string, key: string, message: string): void => {
    warnings.push(`${file}: ${key}: ${message}`);
  };

  const dicom: NonNullable<ConfigInput['dicom']> = {};
  const storage: NonNullable<ConfigInput['storage']> = {};
  const retention: NonNullable<ConfigInput['retention']> = {};
  const retrieve: NonNullable<ConfigInput['retrieve']> = {};
  const csv: NonNullable<NonNullable<ConfigInput['retrieve']>['csv']> = {};
  const smtp: NonNullable<ConfigInput['smtp']> = {};
  type Peer = {
    aeTitle: string;
    host: string;
    port: number;
    maxConcurrent?: number;
    window?: string;
  };
  let pacs: Peer | undefined;

  const inputs: [string, unknown][] = [
    [SYSTEM, files.system],
    [CONFIG, files.config],
    [META, files.metaSystem],
  ];
  for (const [name, value] of inputs) {
    if (value !== undefined && asObject(value) === undefined) {
      warnings.push(`${name}: not a JSON object; ignored`);
    }
  }
  const system = asObject(files.system) ?? {};
  const config = asObject(files.config) ?? {};
  const meta = asObject(files.metaSystem) ?? {};
  const consumed = new Map<Json, Set<string>>([
    [system, new Set()],
    [config, new Set()],
    [meta, new Set()],
  ]);
  const take = (from: Json, key: string): unknown => {
    consumed.get(from)?.add(key);
    return from[key];
  };
  const has = (from: Json, key: string): boolean => Object.hasOwn(from, key);

  // --- meta-extraction system.json: the real-time receiver ------------------------------------
  if (has(meta, 'DCM4CHEBin')) {
    take(meta, 'DCM4CHEBin');
    warn(META, 'DCM4CHEBin', 'no equivalent: Niffler receives DICOM itself, without dcm4che');
  }
  if (has(meta, 'QueryAet')) {
    const text = asText(take(meta, 'QueryAet'));
    const local = text === undefined ? undefined : parseLocalAe(text);
    if (local) {
      dicom.aeTitle = local.aeTitle;
      dicom.port = local.port;
    } else {
      warn(
        META,
        'QueryAet',
        `expected AET:PORT (RTNIFFLER:4242), got ${JSON.stringify(text)}; not converted`,
      );
    }
  }
  const metaRoot = has(meta, 'StorageFolder') ? asText(take(meta, 'StorageFolder')) : undefined;
  const metaTemplate = has(meta, 'FilePath') ? asText(take(meta, 'FilePath')) : undefined;
  if (Object.keys(meta).length > 0) {
    retention.policy = 'nightly';
    retention.nightlyAt = '23:59';
    warnings.push(
      `${META}: the original deleted every processed series at 23:59: retention.policy is set ` +
        'to "nightly"; set it to "none" to keep the images',
    );
    warnings.push(
      `${META}: the original read its featuresets from meta-extraction/conf/*.txt: set ` +
        'featuresets.directory to that folder',
    );
  }

  // --- cold-extraction system.json: the PACS and the window ------------------------------------
  if (has(system, 'DCM4CHEBin')) {
    take(system, 'DCM4CHEBin');
    warn(SYSTEM, 'DCM4CHEBin', 'no equivalent: Niffler speaks DICOM itself, without dcm4che');
  }
  if (has(system, 'SrcAet')) {
    const text = asText(take(system, 'SrcAet'));
    const peer = text === undefined ? undefined : parsePeerAddress(text);
    if (peer) pacs = { ...peer };
    else
      warn(SYSTEM, 'SrcAet', `expected AET@HOST:PORT, got ${JSON.stringify(text)}; not converted`);
  }
  let ourAeTitle: string | undefined;
  if (has(system, 'QueryAet')) {
    const text = asText(take(system, 'QueryAet'));
    const local = text === undefined ? undefined : parseLocalAe(text);
    if (local) {
      ourAeTitle = local.aeTitle;
      retrieve.ourAeTitle = local.aeTitle;
      retrieve.ourPort = local.port;
    } else {
      warn(
        SYSTEM,
        'QueryAet',
        `expected AET:PORT (QBNIFFLER:4243), got ${JSON.stringify(text)}; not converted`,
      );
    }
  }
  if (has(system, 'DestAet')) {
    const dest = asText(take(system, 'DestAet'));
    if (dest === undefined || aeTitleProblem(dest) !== undefined) {
      warn(SYSTEM, 'DestAet', `not an AE title: ${JSON.stringify(dest)}; not converted`);
    } else if (dest !== ourAeTitle) {
      retrieve.destinationAeTitle = dest;
      warn(
        SYSTEM,
        'DestAet',
        `${dest} is not QueryAet's AE title: retrieved images go to that other system, as with ` +
          "the original's external storescp",
      );
    }
  }
  const nightlyRaw = has(system, 'NightlyOnly') ? take(system, 'NightlyOnly') : undefined;
  const nightly = asBoolean(nightlyRaw);
  const startRaw = has(system, 'StartHour') ? take(system, 'StartHour') : undefined;
  const endRaw = has(system, 'EndHour') ? take(system, 'EndHour') : undefined;
  if (nightlyRaw !== undefined && nightly === undefined) {
    warn(
      SYSTEM,
      'NightlyOnly',
      `expected true or false, got ${JSON.stringify(nightlyRaw)}; not converted`,
    );
  }
  if (nightly === true) {
    const start = startRaw === undefined ? 19 : asInteger(startRaw);
    const end = endRaw === undefined ? 7 : asInteger(endRaw);
    const valid = (h: number | undefined): h is number => h !== undefined && h >= 0 && h <= 23;
    if (!valid(start) || !valid(end) || start === end) {
      warn(
        SYSTEM,
        'StartHour/EndHour',
        `not a window of hours 0-23 (${String(startRaw)}-${String(endRaw)}); not converted`,
      );
    } else if (!pacs) {
      warn(SYSTEM, 'NightlyOnly', 'no SrcAet to attach the window to; not converted');
    } else {
      pacs.window = `${pad(start)}:00-${pad(end)}:00`;
    }
  } else if (nightly === false && (startRaw !== undefined || endRaw !== undefined)) {
    warn(SYSTEM, 'StartHour/EndHour', 'ignored, as in the original: NightlyOnly is false');
  }
  if (has(system, 'NifflerID')) {
    take(system, 'NifflerID');
    warn(
      SYSTEM,
      'NifflerID',
      'no equivalent: one process runs every retrieval and logs to standard error',
    );
  }
  if (has(system, 'MaxNifflerProcesses')) {
    const max = asInteger(take(system, 'MaxNifflerProcesses'));
    if (max === undefined || max < 1 || max > 64) {
      warn(SYSTEM, 'MaxNifflerProcesses', 'expected an integer 1-64; not converted');
    } else if (pacs) {
      // One original process = one C-MOVE at a time: the same load on the PACS.
      pacs.maxConcurrent = max;
    } else {
      warn(SYSTEM, 'MaxNifflerProcesses', 'no SrcAet to apply it to; not converted');
    }
  }

  // --- cold-extraction config.json: storage, CSV, e-mail --------------------------------------
  if (has(config, 'NifflerSystem')) {
    take(config, 'NifflerSystem');
    warn(CONFIG, 'NifflerSystem', 'no equivalent: one configuration file holds everything');
  }
  const coldRoot = has(config, 'StorageFolder') ? asText(take(config, 'StorageFolder')) : undefined;
  const coldTemplateRaw = has(config, 'FilePath') ? asText(take(config, 'FilePath')) : undefined;
  let coldTemplate = coldTemplateRaw;
  if (coldTemplate === 'CFIND-ONLY' || coldTemplate === 'CFIND-DETAILED') {
    warn(
      CONFIG,
      'FilePath',
      `${coldTemplate} is a kind of run, chosen for each retrieval, not configuration; not converted`,
    );
    coldTemplate = undefined;
  }
  const root = metaRoot ?? coldRoot;
  if (root !== undefined) storage.root = root;
  if (metaRoot !== undefined && coldRoot !== undefined && metaRoot !== coldRoot) {
    warn(
      CONFIG,
      'StorageFolder',
      `Niffler has one store: ${metaRoot} (from ${META}) is used, retrieved images land there too`,
    );
  }
  const template = metaTemplate ?? coldTemplate;
  if (template !== undefined) {
    const problem = pathTemplateProblem(template);
    const from = metaTemplate !== undefined ? META : CONFIG;
    if (problem === undefined) storage.pathTemplate = template;
    else warn(from, 'FilePath', `${problem}; the default template is used`);
    if (metaTemplate !== undefined && coldTemplate !== undefined && metaTemplate !== coldTemplate) {
      warn(CONFIG, 'FilePath', `Niffler has one template: ${metaTemplate} (from ${META}) is used`);
    }
  }
  if (has(config, 'CsvFile')) {
    take(config, 'CsvFile');
    warn(
      CONFIG,
      'CsvFile',
      'no equivalent: the cohort CSV is given to each retrieval, not configured',
    );
  }

  // CSV columns: position -> keyword.
  const columns = new Map<number, string>();
  const column = (
    indexKey: string,
    attrKey: string | undefined,
    keyword: string | undefined,
  ): void => {
    const index = asInteger(take(config, indexKey));
    const attr = attrKey === undefined ? keyword : asText(take(config, attrKey));
    if (
      index === undefined ||
      index < 0 ||
      attr === undefined ||
      !/^[A-Za-z][A-Za-z0-9]*$/.test(attr)
    ) {
      warn(
        CONFIG,
        attrKey === undefined ? indexKey : `${attrKey}/${indexKey}`,
        'not a keyword and a column index; not converted',
      );
      return;
    }
    columns.set(index, attr);
  };
  if (has(config, 'NumberOfQueryAttributes') || has(config, 'FirstAttr')) {
    let n = asInteger(take(config, 'NumberOfQueryAttributes')) ?? 1;
    if (n < 1 || n > 3) {
      warn(
        CONFIG,
        'NumberOfQueryAttributes',
        `${n} is not 1, 2 or 3; read as 1, as the original did`,
      );
      n = 1;
    }
    const names = ['First', 'Second', 'Third'].slice(0, n);
    for (const name of names) column(`${name}Index`, `${name}Attr`, undefined);
    for (const name of ['First', 'Second', 'Third'].slice(n)) {
      take(config, `${name}Attr`);
      take(config, `${name}Index`);
    }
    if (has(config, 'ExtractionType')) {
      take(config, 'ExtractionType');
      warn(CONFIG, 'ExtractionType', 'the older form; NumberOfQueryAttributes is used instead');
    }
  } else if (has(config, 'ExtractionType')) {
    // The 2020-2021 form of config.json.
    const type = asText(take(config, 'ExtractionType'));
    const patient = (): void => column('PatientIndex', undefined, 'PatientID');
    const accession = (): void => column('AccessionIndex', undefined, 'AccessionNumber');
    switch (type) {
      case 'empi':
        patient();
        break;
      case 'accession':
        accession();
        break;
      case 'empi_accession':
        patient();
        accession();
        break;
      case 'empi_date': {
        patient();
        const dateType = has(config, 'DateType') ? asText(take(config, 'DateType')) : 'StudyDate';
        column('DateIndex', undefined, dateType);
        break;
      }
      default:
        warn(CONFIG, 'ExtractionType', `unknown mode ${JSON.stringify(type)}; not converted`);
    }
  }
  for (const key of ['PatientIndex', 'AccessionIndex', 'DateIndex', 'DateType']) {
    if (has(config, key) && !consumed.get(config)?.has(key)) {
      take(config, key);
      warn(CONFIG, key, 'not used by this ExtractionType; not converted');
    }
  }
  if (columns.size > 0) {
    const header = files.csvHeader;
    const columnMap: Record<string, string> = {};
    for (const [index, keyword] of [...columns].sort((a, b) => a[0] - b[0])) {
      const name = header?.[index]?.trim();
      const unique =
        name !== undefined && name !== '' && header?.filter((h) => h.trim() === name).length === 1;
      columnMap[unique ? name : `#${index}`] = keyword;
    }
    csv.columnMap = columnMap;
    // The original queried only the columns its config named, whatever the other headers were.
    csv.unmappedColumns = 'ignore';
  }
  if (has(config, 'LongAccession')) {
    const long = asBoolean(take(config, 'LongAccession'));
    if (long === undefined) warn(CONFIG, 'LongAccession', 'expected true or false; not converted');
    else csv.longAccession = long;
  }
  if (has(config, 'DateFormat')) {
    const format = asText(take(config, 'DateFormat'));
    const problem = format === undefined ? 'empty' : dateFormatProblem(format);
    if (format !== undefined && problem === undefined) csv.dateFormat = format;
    else warn(CONFIG, 'DateFormat', `${problem ?? ''}; not converted`);
  }
  const sendRaw = has(config, 'SendEmail') ? take(config, 'SendEmail') : undefined;
  const send = asBoolean(sendRaw);
  const email = has(config, 'YourEmail') ? asText(take(config, 'YourEmail')) : undefined;
  if (sendRaw !== undefined && send === undefined) {
    warn(CONFIG, 'SendEmail', 'expected true or false; not converted');
  } else if (send === false) {
    retrieve.emailOnCompletion = false;
  } else if (send === true) {
    if (email === undefined || email === PLACEHOLDER_EMAIL) {
      warn(
        CONFIG,
        'YourEmail',
        `${JSON.stringify(email)} is the original's placeholder; no e-mail configured`,
      );
    } else {
      // The original piped into `mail`, i.e. the local MTA: SMTP on localhost:25 is the same.
      smtp.host = 'localhost';
      smtp.port = 25;
      smtp.from = 'niffler@localhost';
      smtp.to = [email];
      warn(
        CONFIG,
        'SendEmail',
        'the original used the local `mail` command: smtp is set to localhost:25 from ' +
          'niffler@localhost; check smtp.host and smtp.from',
      );
    }
  }

  // --- whatever is left has no equivalent ------------------------------------------------------
  for (const [name, from] of [
    [SYSTEM, system],
    [CONFIG, config],
    [META, meta],
  ] as const) {
    for (const key of Object.keys(from)) {
      if (!consumed.get(from)?.has(key)) warn(name, key, 'unknown key; not converted');
    }
  }

  if (pacs) retrieve.pacs = { pacs };
  if (Object.keys(csv).length > 0) retrieve.csv = csv;
  const out: ConfigInput = {};
  if (Object.keys(dicom).length > 0) out.dicom = dicom;
  if (Object.keys(storage).length > 0) out.storage = storage;
  if (Object.keys(retention).length > 0) out.retention = retention;
  if (Object.keys(retrieve).length > 0) out.retrieve = retrieve;
  if (Object.keys(smtp).length > 0) out.smtp = smtp;
  return { config: out, warnings };
}

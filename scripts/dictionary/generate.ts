// `npx tsx scripts/dictionary/generate.ts [--check]`
//
// Generates the DICOM data dictionary, src/dicom/dictionary/generated/{tags,uids}.ts, from the
// sources vendored in scripts/dictionary/source/ (README.md there says where each comes from):
//   - PS3.6 data elements (Tables 6-1, 7-1, 8-1, 9-1, repeating groups included) and the UID
//     registry (Tables ): the standard's DocBook part06.xml when it is vendored, else
//     pydicom's `_dicom_dict.py` and `_uid_dict.py`, which pydicom generates from part06.xml;
//   - PS3.7 command elements (Tables E.1-1 and E.2-1, group 0000): the standard's DocBook
//     part07.xml, read with the small XML reader below. These replace pydicom's group 0000 rows.
//
// With --check nothing is written: the files are generated in memory and compared with the
// committed ones; exit 1 naming the stale file if they differ, 0 otherwise.
//
// Only node built-ins. The output is sorted and laid out by hand, so it needs no formatter (the
// generated folder is in .prettierignore and ESLint's ignores).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { isVR, type VR } from '../../src/dicom/vr.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE_DIR = path.join(ROOT, 'scripts', 'dictionary', 'source');
const OUTPUT_DIR = path.join(ROOT, 'src', 'dicom', 'dictionary', 'generated');

/**
 * The sources. PS3.6 comes from the standard's DocBook part06.xml (or part06.xml.gz) when that is
 * vendored, else from pydicom's files, which do not name their edition: it is pydicom's
 * __dicom_version__ at the vendored commit.
 */
const SOURCES = {
  part06: ['part06.xml.gz', 'part06.xml'],
  pydicomDataElements: 'pydicom-_dicom_dict.py',
  pydicomUids: 'pydicom-_uid_dict.py',
  pydicomEdition: '2024d',
  part07: 'part07.xml',
} as const;

// Sanity floors: a parse that silently lost rows must fail rather than ship a thin dictionary.
const MIN_TAGS = 5000;
const MIN_UIDS = 450;
const MIN_COMMANDS = 40;

const KEYWORD = /^[A-Za-z][A-Za-z0-9]*$/;
/** UID keywords may contain underscores (`ITIS_TSN`). */
const UID_KEYWORD = /^[A-Za-z][A-Za-z0-9_]*$/;

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

interface ElementRow {
  /** 8 hex digits, upper case, `x` for a repeating digit (`60xx3000`). */
  key: string;
  vrs: VR[];
  vm: string;
  retired: boolean;
  keyword: string;
  name: string;
}

interface UidRow {
  uid: string;
  type: string;
  retired: boolean;
  keyword: string;
  name: string;
}

function fail(message: string): never {
  throw new Error(`dictionary generator: ${message}`);
}

function readSource(file: string): string {
  const full = path.join(SOURCE_DIR, file);
  const bytes = readFileSync(full);
  return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** `US or SS` -> ['US', 'SS']; `NONE`, `See Note` or empty (Item etc.) -> []. */
function parseVRs(text: string, where: string): VR[] {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'NONE' || trimmed === 'See Note') return [];
  return trimmed.split(/\s+or\s+/).map((vr) => {
    if (!isVR(vr)) fail(`${where}: unknown VR '${vr}' in '${text}'`);
    return vr;
  });
}

function cleanText(text: string): string {
  // PS3.6 and PS3.7 put ZERO WIDTH SPACEs (older editions also SOFT HYPHENs) where a printed
  // name or UID may wrap.
  return text
    .replace(/[\u200b\u00ad]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

// ---------------------------------------------------------------------------------------------
// pydicom's generated Python dictionaries
// ---------------------------------------------------------------------------------------------

const PY_STRING = String.raw`(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")`;

function unescapePython(text: string, where: string): string {
  return text.replace(/\\(.)/g, (_, ch: string) => {
    if (ch === '\\' || ch === "'" || ch === '"') return ch;
    fail(`${where}: unsupported escape \\${ch}`);
  });
}

/**
 * The body lines of `NAME... = {` ... `}` in a pydicom dictionary module, each parsed with
 * `entry`. Every non-blank line of the body must match: nothing is skipped silently.
 */
function pythonDictLines(source: string, dictName: string, file: string): string[] {
  const lines = source.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`${dictName}`) && line.endsWith('{'));
  if (start < 0) fail(`${file}: no dictionary named ${dictName}`);
  const body: string[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '}') return body;
    if (line.trim() !== '') body.push(line);
  }
  fail(`${file}: ${dictName} is not closed`);
}

function parseTuple(line: string, keyPattern: string, where: string): [string, string[]] {
  const re = new RegExp(
    `^\\s*${keyPattern}: \\(${PY_STRING}, ${PY_STRING}, ${PY_STRING}, ${PY_STRING}, ${PY_STRING}\\),?$`,
  );
  const m = re.exec(line);
  if (!m) fail(`${where}: cannot parse line: ${line}`);
  const fields: string[] = [];
  for (let i = 0; i < 5; i++) {
    const single = m[2 + 2 * i];
    const double = m[3 + 2 * i];
    fields.push(unescapePython(single ?? double ?? '', where));
  }
  return [m[1]!, fields];
}

function parsePydicomElements(file: string): ElementRow[] {
  const source = readSource(file);
  const rows: ElementRow[] = [];
  const add = (key: string, fields: string[], where: string): void => {
    const [vr, vm, name, retired, keyword] = fields as [string, string, string, string, string];
    if (retired !== '' && retired !== 'Retired') fail(`${where}: retired flag '${retired}'`);
    rows.push({
      key,
      vrs: parseVRs(vr, where),
      vm,
      retired: retired === 'Retired',
      keyword,
      // pydicom names the retired placeholder rows that have neither name nor keyword.
      name: name === 'Retired-blank' && keyword === '' ? '' : cleanText(name),
    });
  };
  for (const line of pythonDictLines(source, 'DicomDictionary', file)) {
    const [hex, fields] = parseTuple(line, '0x([0-9A-Fa-f]{8})', file);
    add(hex.toUpperCase(), fields, `${file} 0x${hex}`);
  }
  for (const line of pythonDictLines(source, 'RepeatersDictionary', file)) {
    const [pattern, fields] = parseTuple(line, "'([0-9A-Fa-fx]{8})'", file);
    const key = pattern.toUpperCase().replace(/X/g, 'x');
    if (!key.includes('x')) fail(`${file}: repeater '${pattern}' has no x`);
    add(key, fields, `${file} '${pattern}'`);
  }
  return rows;
}

function parsePydicomUids(file: string): UidRow[] {
  const source = readSource(file);
  const rows: UidRow[] = [];
  for (const line of pythonDictLines(source, 'UID_dictionary', file)) {
    const [uid, fields] = parseTuple(line, "'([0-9.]+)'", file);
    const [name, type, info, retired, keyword] = fields as [string, string, string, string, string];
    if (retired !== '' && retired !== 'Retired') fail(`${file} ${uid}: retired flag '${retired}'`);
    rows.push({
      uid,
      type: cleanText(type),
      retired: retired === 'Retired',
      keyword,
      // pydicom moves the text after ':' ("...: Default Transfer Syntax for DICOM") to `info`;
      // two retired rows have nothing but that text (e.g. "(2015c)").
      name: cleanText(name) || cleanText(info),
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// A small XML reader, enough for DocBook tables
// ---------------------------------------------------------------------------------------------

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
type XmlNode = XmlElement | string;

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const value = ENTITIES[ref];
    if (value === undefined) fail(`unknown XML entity ${whole}`);
    return value;
  });
}

const START_TAG = /<([^\s/>]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;

/** Parses a whole document; comments, processing instructions and the DOCTYPE are dropped. */
function parseXml(text: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, children: [] };
  const stack: XmlElement[] = [root];
  let pos = 0;
  const skipPast = (marker: string): void => {
    const end = text.indexOf(marker, pos);
    if (end < 0) fail(`XML: unterminated construct at offset ${pos}`);
    pos = end + marker.length;
  };
  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const top = stack[stack.length - 1]!;
    if (lt < 0 || lt > pos) {
      const end = lt < 0 ? text.length : lt;
      top.children.push(decodeEntities(text.slice(pos, end)));
      pos = end;
      continue;
    }
    if (text.startsWith('<!--', pos)) skipPast('-->');
    else if (text.startsWith('<?', pos)) skipPast('?>');
    else if (text.startsWith('<![CDATA[', pos)) {
      const end = text.indexOf(']]>', pos);
      if (end < 0) fail(`XML: unterminated CDATA at offset ${pos}`);
      top.children.push(text.slice(pos + 9, end));
      pos = end + 3;
    } else if (text.startsWith('<!', pos)) skipPast('>');
    else if (text.startsWith('</', pos)) {
      const end = text.indexOf('>', pos);
      const name = text.slice(pos + 2, end).trim();
      if (name !== top.name) fail(`XML: </${name}> closes <${top.name}> at offset ${pos}`);
      stack.pop();
      pos = end + 1;
    } else {
      START_TAG.lastIndex = pos;
      const tag = START_TAG.exec(text);
      if (!tag) fail(`XML: malformed start tag at offset ${pos}`);
      const attrs: Record<string, string> = {};
      for (const a of tag[2]!.matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        attrs[a[1]!] = decodeEntities(a[2] ?? a[3] ?? '');
      }
      const element: XmlElement = { name: tag[1]!, attrs, children: [] };
      top.children.push(element);
      if (tag[3] !== '/') stack.push(element);
      pos += tag[0].length;
    }
  }
  if (stack.length !== 1) fail(`XML: <${stack[stack.length - 1]!.name}> is not closed`);
  return root;
}

function childElements(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c): c is XmlElement => typeof c !== 'string' && c.name === name);
}

function findElement(
  element: XmlElement,
  test: (e: XmlElement) => boolean,
): XmlElement | undefined {
  for (const child of element.children) {
    if (typeof child === 'string') continue;
    if (test(child)) return child;
    const found = findElement(child, test);
    if (found) return found;
  }
  return undefined;
}

function textContent(node: XmlNode): string {
  return typeof node === 'string' ? node : node.children.map(textContent).join(' ');
}

/** The header cells and body rows (cell texts) of the DocBook table with this xml:id. */
function docbookTable(
  book: XmlElement,
  id: string,
): { caption: string; header: string[]; rows: string[][] } {
  const table = findElement(book, (e) => e.name === 'table' && e.attrs['xml:id'] === id);
  if (!table) fail(`no table ${id}`);
  const caption = cleanText(childElements(table, 'caption').map(textContent).join(' '));
  // Header rows mix <th> and <td> in some editions. Spanning cells would shift the columns.
  const cells = (tr: XmlElement): string[] =>
    tr.children
      .filter((c): c is XmlElement => typeof c !== 'string' && (c.name === 'td' || c.name === 'th'))
      .map((c) => {
        if ((c.attrs.colspan ?? '1') !== '1' || (c.attrs.rowspan ?? '1') !== '1') {
          fail(`table ${id}: a cell spans rows or columns`);
        }
        return cleanText(textContent(c));
      });
  const header = childElements(table, 'thead').flatMap((h) => childElements(h, 'tr'))[0];
  if (!header) fail(`table ${id} has no header row`);
  const bodies = childElements(table, 'tbody');
  // Every <tr> of the table must be a header row or a body row we read.
  const trCount = (e: XmlElement): number =>
    e.children.reduce(
      (n, c) => n + (typeof c === 'string' ? 0 : (c.name === 'tr' ? 1 : 0) + trCount(c)),
      0,
    );
  const rows = bodies.flatMap((b) => childElements(b, 'tr')).map(cells);
  if (rows.length + 1 !== trCount(table)) fail(`table ${id}: rows outside <tbody>`);
  return { caption, header: cells(header), rows };
}

function parsePart07(file: string): { edition: string; rows: ElementRow[] } {
  const xml = readSource(file);
  const book = parseXml(xml);
  const subtitle = findElement(book, (e) => e.name === 'subtitle');
  const edition = /^DICOM PS ?3\.7 (\d{4}[a-z]?) - /.exec(
    subtitle ? cleanText(textContent(subtitle)) : '',
  );
  if (!edition) fail(`${file}: no "DICOM PS3.7 <edition> - ..." subtitle`);

  const rows: ElementRow[] = [];
  for (const [id, caption, retired] of [
    ['table_E.1-1', 'Command Fields', false],
    ['table_E.2-1', 'Retired Command Fields', true],
  ] as const) {
    const table = docbookTable(book, id);
    if (table.caption !== caption) fail(`${file} ${id}: caption '${table.caption}'`);
    const expected = ['Tag', 'Message Field', 'Keyword', 'VR', 'VM'];
    if (expected.some((h, i) => table.header[i] !== h)) {
      fail(`${file} ${id}: header ${JSON.stringify(table.header)}`);
    }
    for (const cells of table.rows) {
      const [tag, name, keyword, vr, vm] = cells as [string, string, string, string, string];
      const m = /^\(0000,([0-9A-Fa-f]{4})\)$/.exec(tag);
      if (!m) fail(`${file} ${id}: bad tag cell '${tag}'`);
      const where = `${file} ${id} ${tag}`;
      if (!KEYWORD.test(keyword)) fail(`${where}: bad keyword '${keyword}'`);
      if (!vm) fail(`${where}: no VM`);
      const vrs = parseVRs(vr, where);
      if (vrs.length === 0) fail(`${where}: no VR`);
      rows.push({ key: `0000${m[1]!.toUpperCase()}`, vrs, vm, retired, keyword, name });
    }
  }
  return { edition: edition[1]!, rows };
}

/** The column of each header, by header text; fails if one of `required` is missing. */
function columns(header: string[], required: string[], where: string): Map<string, number> {
  const map = new Map(header.map((h, i) => [h, i]));
  for (const h of required) {
    if (!map.has(h)) fail(`${where}: no '${h}' column in ${JSON.stringify(header)}`);
  }
  return map;
}

/**
 * PS3.6 from its DocBook: Tables 6-1, 7-1, 8-1 and (when present) 9-1 for data elements, A-1 and
 * A-2 for UIDs. The same conventions as pydicom's generator, so either source gives the same
 * table: the retired column's `RET...` marks a retired element (`DICOS`, `DICONDE`, `See Note`
 * do not); of a VM printed `1 or 2` the first is kept; a UID name loses `(Retired)` (which marks
 * it retired) and any `: Default Transfer Syntax for ...` tail; Table A-2 rows get the type
 * `Well-known frame of reference`, as A-1 gives those it also lists.
 */
function parsePart06(file: string): { edition: string; elements: ElementRow[]; uids: UidRow[] } {
  const book = parseXml(readSource(file));
  const subtitle = findElement(book, (e) => e.name === 'subtitle');
  const edition = /^DICOM PS ?3\.6 (\d{4}[a-z]?) - /.exec(
    subtitle ? cleanText(textContent(subtitle)) : '',
  );
  if (!edition) fail(`${file}: no "DICOM PS3.6 <edition> - ..." subtitle`);

  const elements: ElementRow[] = [];
  for (const id of ['table_6-1', 'table_7-1', 'table_8-1', 'table_9-1']) {
    if (id === 'table_9-1' && !findElement(book, (e) => e.attrs['xml:id'] === id)) continue;
    const table = docbookTable(book, id);
    if (!table.caption.startsWith('Registry of DICOM')) {
      fail(`${file} ${id}: caption '${table.caption}'`);
    }
    const col = columns(table.header, ['Tag', 'Name', 'Keyword', 'VR', 'VM'], `${file} ${id}`);
    const retiredCol = table.header.findIndex((h) => h === '');
    for (const cells of table.rows) {
      const cell = (h: string): string => cells[col.get(h)!] ?? '';
      const tag = cell('Tag');
      const m = /^\(([0-9A-Fa-fx]{4}),([0-9A-Fa-fx]{4})\)$/.exec(tag);
      if (!m) fail(`${file} ${id}: bad tag cell '${tag}'`);
      const key = `${m[1]!}${m[2]!}`.toUpperCase().replace(/X/g, 'x');
      const where = `${file} ${id} ${tag}`;
      const keyword = cell('Keyword');
      const status = retiredCol >= 0 ? (cells[retiredCol] ?? '') : '';
      elements.push({
        key,
        vrs: parseVRs(cell('VR'), where),
        vm: cell('VM').split(' or ')[0]!.trim(),
        // A row with neither name nor keyword is a retired placeholder (PS3.6 section 6, note).
        retired: status.startsWith('RET') || (keyword === '' && cell('Name') === ''),
        keyword,
        name: cell('Name'),
      });
    }
  }

  const uids: UidRow[] = [];
  const a1 = docbookTable(book, 'table_A-1');
  const a1col = columns(a1.header, ['UID Value', 'UID Name', 'UID Type'], `${file} table_A-1`);
  for (const cells of a1.rows) {
    const cell = (h: string): string => (a1col.has(h) ? (cells[a1col.get(h)!] ?? '') : '');
    let name = cell('UID Name');
    const retired = /\(Retired\)/.test(name);
    name = name.replace(/\s*\(Retired\)\s*/g, ' ').trim();
    const colon = name.indexOf(':');
    if (colon >= 0) name = name.slice(0, colon).trim() || name.slice(colon + 1).trim();
    uids.push({
      uid: cell('UID Value'),
      type: cell('UID Type'),
      retired,
      keyword: cell('UID Keyword'),
      name,
    });
  }
  const a2 = docbookTable(book, 'table_A-2');
  const a2col = columns(a2.header, ['UID Value', 'UID Name'], `${file} table_A-2`);
  const inA1 = new Set(uids.map((u) => u.uid));
  for (const cells of a2.rows) {
    const cell = (h: string): string => (a2col.has(h) ? (cells[a2col.get(h)!] ?? '') : '');
    if (inA1.has(cell('UID Value'))) continue; // A-1 lists them too, with the same type
    uids.push({
      uid: cell('UID Value'),
      type: 'Well-known frame of reference',
      retired: false,
      keyword: cell('UID Keyword'),
      name: cell('UID Name'),
    });
  }
  return { edition: edition[1]!, elements, uids };
}

// ---------------------------------------------------------------------------------------------
// Merge, check, emit
// ---------------------------------------------------------------------------------------------

function sortKey(key: string): number {
  return parseInt(key.replace(/x/g, '0'), 16);
}

function mergeElements(
  part06: ElementRow[],
  commands: ElementRow[],
  notes: string[],
): ElementRow[] {
  const byKey = new Map<string, ElementRow>();
  for (const row of part06) {
    if (row.key.startsWith('0000')) continue; // PS3.7 is authoritative for group 0000
    if (byKey.has(row.key)) fail(`duplicate tag ${row.key}`);
    byKey.set(row.key, row);
  }
  const pyCommands = new Map(part06.filter((r) => r.key.startsWith('0000')).map((r) => [r.key, r]));
  for (const row of commands) {
    if (byKey.has(row.key)) fail(`duplicate command tag ${row.key}`);
    byKey.set(row.key, row);
    const py = pyCommands.get(row.key);
    if (!py) notes.push(`command ${row.key} ${row.keyword} is new in PS3.7`);
    else if (JSON.stringify(py) !== JSON.stringify(row)) {
      notes.push(`command ${row.key}: PS3.7 ${JSON.stringify(row)} replaces ${JSON.stringify(py)}`);
    }
  }
  for (const key of pyCommands.keys()) {
    if (!commands.some((c) => c.key === key)) notes.push(`command ${key} is no longer in PS3.7`);
  }

  const rows = [...byKey.values()].sort(
    (a, b) => sortKey(a.key) - sortKey(b.key) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  const keywords = new Map<string, string>();
  for (const row of rows) {
    const where = `tag ${row.key}`;
    if (!/^[0-9A-Fx]{8}$/.test(row.key)) fail(`${where}: bad tag`);
    if (row.keyword !== '') {
      if (!KEYWORD.test(row.keyword)) fail(`${where}: bad keyword '${row.keyword}'`);
      const other = keywords.get(row.keyword);
      if (other) fail(`keyword ${row.keyword} is used by ${other} and ${row.key}`);
      keywords.set(row.keyword, row.key);
    } else if (!row.retired) {
      fail(`${where}: no keyword but not retired`);
    }
    const placeholder = row.keyword === '' && row.name === '';
    if (!/^[0-9]+(-[0-9]*n?)?$/.test(row.vm) && !(placeholder && row.vm === '')) {
      fail(`${where}: bad VM '${row.vm}'`);
    }
    for (const field of [row.keyword, row.name, row.vm]) {
      if (/[|\n\r]/.test(field)) fail(`${where}: field contains a separator: ${field}`);
    }
  }
  if (rows.length < MIN_TAGS) fail(`only ${rows.length} data elements (expected >= ${MIN_TAGS})`);
  return rows;
}

/** Component by component, numerically: 1.2.840.10008.1.2.4.50 before 1.2.840.10008.1.2.4.100. */
function compareUids(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.length - y[i]!.length || (x[i]! < y[i]! ? -1 : x[i]! > y[i]! ? 1 : 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function checkUids(rows: UidRow[]): UidRow[] {
  const sorted = [...rows].sort((a, b) => compareUids(a.uid, b.uid));
  const seenUid = new Set<string>();
  const seenKeyword = new Map<string, string>();
  for (const row of sorted) {
    const where = `UID ${row.uid}`;
    if (!/^[0-9]+(\.[0-9]+)*$/.test(row.uid) || row.uid.length > 64) fail(`${where}: bad UID`);
    if (seenUid.has(row.uid)) fail(`${where}: duplicate`);
    seenUid.add(row.uid);
    if (row.keyword !== '') {
      if (!UID_KEYWORD.test(row.keyword)) fail(`${where}: bad keyword '${row.keyword}'`);
      const other = seenKeyword.get(row.keyword);
      if (other) fail(`keyword ${row.keyword} is used by ${other} and ${row.uid}`);
      seenKeyword.set(row.keyword, row.uid);
    }
    if (!row.type) fail(`${where}: no type`);
    for (const field of [row.type, row.keyword, row.name]) {
      if (/[|\n\r]/.test(field)) fail(`${where}: field contains a separator: ${field}`);
    }
  }
  if (sorted.length < MIN_UIDS) fail(`only ${sorted.length} UIDs (expected >= ${MIN_UIDS})`);
  return sorted;
}

/** Escapes text for a template literal. */
function templateText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

const HEADER = (what: string, sources: string): string =>
  [
    `// Generated by scripts/dictionary/generate.ts from ${sources}: do not edit.`,
    '// Change the generator or the sources in scripts/dictionary/source/ (see the README there) and',
    '// run `npx tsx scripts/dictionary/generate.ts`. This module only defines constants: the lookup',
    `// maps of src/dicom/dictionary/index.ts are built from ${what} on first use.`,
    '',
  ].join('\n');

function emitTags(rows: ElementRow[], edition: string): string {
  const lines = rows.map((r) =>
    [r.key, r.vrs.join('/'), r.vm, r.retired ? 'R' : '', r.keyword, r.name].join('|'),
  );
  return [
    HEADER('TAG_TABLE', 'DICOM PS3.6 and PS3.7'),
    '/** Editions of the standard the table was generated from. */',
    `export const TAG_TABLE_EDITION = '${edition}';`,
    '',
    '/**',
    ' * The registry of data elements, one per line: `tag|vrs|vm|retired|keyword|name`, sorted by tag.',
    ' * - tag: 8 upper-case hex digits, group then element; `x` marks a repeating digit as PS3.6 prints',
    ' *   it (`60xx3000` is Overlay Data in any overlay group).',
    ' * - vrs: the allowed VRs in the order the standard lists them, `/`-separated (`US/SS`, `OB/OW`);',
    ' *   empty for Item and the delimitation items (FFFE,E000/E00D/E0DD), which have no VR.',
    ' * - vm: the Value Multiplicity as printed (`1`, `1-n`, `2-2n`); of `1 or 2` only the first.',
    ' * - retired: `R` for a retired element, else empty.',
    ' * - keyword, name: as in the standard; both are empty for the retired placeholder rows, whose',
    ' *   VR and VM the standard may leave empty too.',
    ' */',
    `export const TAG_TABLE = \`${templateText(lines.join('\n'))}\`;`,
    '',
  ].join('\n');
}

function emitUids(rows: UidRow[], edition: string): string {
  const lines = rows.map((r) => [r.uid, r.type, r.retired ? 'R' : '', r.keyword, r.name].join('|'));
  return [
    HEADER('UID_TABLE', 'DICOM PS3.6'),
    '/** Edition of the standard the table was generated from. */',
    `export const UID_TABLE_EDITION = '${edition}';`,
    '',
    '/**',
    ' * The UID registry (PS3.6 Tables A-1 and A-2), one UID per line: `uid|type|retired|keyword|name`,',
    ' * sorted by UID (numerically, component by component).',
    ' * - type: as in the standard (`Transfer Syntax`, `SOP Class`, `Well-known SOP Instance`, ...).',
    ' * - retired: `R` for a retired UID, else empty.',
    ' * - name: without the standard\'s "(Retired)" and ": Default Transfer Syntax for ..." suffixes.',
    ' */',
    `export const UID_TABLE = \`${templateText(lines.join('\n'))}\`;`,
    '',
  ].join('\n');
}

export interface GeneratedFiles {
  /** Repository-relative path -> content. */
  files: Map<string, string>;
  tagCount: number;
  uidCount: number;
  notes: string[];
}

export function generate(): GeneratedFiles {
  const notes: string[] = [];
  const part07 = parsePart07(SOURCES.part07);
  if (part07.rows.length < MIN_COMMANDS) fail(`only ${part07.rows.length} command elements`);
  const part06File = SOURCES.part06.find((f) => existsSync(path.join(SOURCE_DIR, f)));
  const part06 = part06File
    ? parsePart06(part06File)
    : {
        edition: SOURCES.pydicomEdition,
        elements: parsePydicomElements(SOURCES.pydicomDataElements),
        uids: parsePydicomUids(SOURCES.pydicomUids),
      };
  const elements = mergeElements(part06.elements, part07.rows, notes);
  const uids = checkUids(part06.uids);
  const tagEdition = `PS3.6 ${part06.edition}, PS3.7 ${part07.edition}`;
  const uidEdition = `PS3.6 ${part06.edition}`;
  const files = new Map<string, string>([
    ['src/dicom/dictionary/generated/tags.ts', emitTags(elements, tagEdition)],
    ['src/dicom/dictionary/generated/uids.ts', emitUids(uids, uidEdition)],
  ]);
  return { files, tagCount: elements.length, uidCount: uids.length, notes };
}

function main(): void {
  const check = process.argv.includes('--check');
  const unknown = process.argv.slice(2).filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`usage: npx tsx scripts/dictionary/generate.ts [--check]`);
    process.exitCode = 2;
    return;
  }
  const result = generate();
  const summary = `${result.tagCount} data elements, ${result.uidCount} UIDs`;
  if (check) {
    const stale = [...result.files].filter(([file, content]) => {
      const full = path.join(ROOT, file);
      return !existsSync(full) || readFileSync(full, 'utf8') !== content;
    });
    for (const [file] of stale) {
      console.error(
        `check:dictionary: ${file} is stale (it differs from what scripts/dictionary/generate.ts ` +
          'produces): run `npx tsx scripts/dictionary/generate.ts` and commit the result',
      );
    }
    if (stale.length > 0) process.exitCode = 1;
    else console.log(`check:dictionary: generated dictionary is up to date (${summary})`);
    return;
  }
  for (const note of result.notes) console.log(`note: ${note}`);
  mkdirSync(OUTPUT_DIR, { recursive: true });
  for (const [file, content] of result.files) {
    const full = path.join(ROOT, file);
    const changed = !existsSync(full) || readFileSync(full, 'utf8') !== content;
    if (changed) writeFileSync(full, content);
    console.log(`${changed ? 'wrote' : 'unchanged'} ${file} (${Buffer.byteLength(content)} bytes)`);
  }
  console.log(`dictionary: ${summary}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

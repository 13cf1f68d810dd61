/**
 * A readable text dump of a dataset in the layout of DCMTK's dcmdump:
 *
 *     (0010,0010) PN [Yamada^Tarou]                           #  12, 1 PatientName
 *
 * Each line: tag, VR, value, then length (`u/l` for an undefined length), VM and keyword.
 * Values: strings in brackets (control characters shown as '.'), numbers and hex words bare,
 * `=Keyword` for a known UID, `(no value available)` when empty, `(not loaded)` for bulk data;
 * longer than maxValueLength, they are cut and end with '...'. Keywords come from the dictionary
 * (`RETIRED_` before a retired one, as dcmdump); private creators are `PrivateCreator`, private
 * elements `PrivateTag [creator]` (`PrivateTag` when the creator is unknown), private group
 * lengths `PrivateGroupLength`, elements the dictionary does not know `UnknownTag`, group
 * lengths it does not name `GenericGroupLength`. Sequences list their items indented by two
 * spaces with the item and delimitation lines dcmdump prints; encapsulated pixel data lists its
 * fragments.
 */
import {
  UNDEFINED_LENGTH,
  type Dataset,
  type Element,
  type Fragment,
  type Item,
  type ValueElement,
} from './dataset.js';
import { lookupTag, lookupUid } from './dictionary/index.js';
import {
  formatTag,
  isPrivateCreatorTag,
  isPrivateTag,
  tagElement,
  TRANSFER_SYNTAX_UID,
  type Tag,
} from './tag.js';
import {
  decodeLatin1,
  elementVM,
  readStrings,
  readValue,
  shortestFloat32,
  splitStrings,
  type BinaryArray,
} from './values/index.js';
import { STRING_VRS, type VR } from './vr.js';

export interface DumpOptions {
  /** Value texts longer than this are cut to end with '...' within it (default 70, as dcmdump). */
  readonly maxValueLength?: number;
}

const VALUE_COLUMN = 55; // the tag, VR and value take this many characters before ' # '

/** The dump of a file (meta group and dataset) or of a bare dataset (meta undefined). */
export function formatDump(
  meta: Dataset | undefined,
  dataset: Dataset,
  options: DumpOptions = {},
): string {
  const maxValueLength = Math.max(8, options.maxValueLength ?? 70);
  const lines: string[] = [''];
  let syntax = encodingName(dataset);
  if (meta !== undefined) {
    lines.push('# Dicom-File-Format', '', '# Dicom-Meta-Information-Header');
    lines.push(`# Used TransferSyntax: ${encodingName(meta)}`);
    dumpDataset(meta, 0, maxValueLength, lines);
    lines.push('');
    const uid = transferSyntaxUid(meta);
    if (uid !== undefined) syntax = lookupUid(uid)?.name ?? uid;
  }
  lines.push('# Dicom-Data-Set', `# Used TransferSyntax: ${syntax}`);
  dumpDataset(dataset, 0, maxValueLength, lines);
  return lines.join('\n') + '\n';
}

function encodingName(dataset: Dataset): string {
  const { explicitVR, littleEndian } = dataset.encoding;
  return `${littleEndian ? 'Little' : 'Big'} Endian ${explicitVR ? 'Explicit' : 'Implicit'}`;
}

function transferSyntaxUid(meta: Dataset): string | undefined {
  const element = meta.get(TRANSFER_SYNTAX_UID);
  if (element?.kind !== 'value' || element.bytes === undefined) return undefined;
  return splitStrings(decodeLatin1(element.bytes), 'UI')[0];
}

function dumpDataset(dataset: Dataset, depth: number, max: number, lines: string[]): void {
  for (const element of dataset.sorted()) dumpElement(dataset, element, depth, max, lines);
}

function line(
  depth: number,
  tag: string,
  vr: string,
  value: string,
  length: string,
  vm: number,
  keyword: string,
): string {
  const head = `${'  '.repeat(depth)}${tag} ${vr} ${value}`;
  return `${head.padEnd(VALUE_COLUMN + 2 * depth)} # ${length.padStart(3)},${String(vm).padStart(2)} ${keyword}`;
}

function lengthText(length: number): string {
  return length === UNDEFINED_LENGTH ? 'u/l' : String(length);
}

function tagText(tag: Tag): string {
  return formatTag(tag).toLowerCase();
}

function keywordOf(element: Element): string {
  const { tag } = element;
  if (isPrivateCreatorTag(tag)) return 'PrivateCreator';
  if (isPrivateTag(tag)) {
    if (tagElement(tag) === 0) return 'PrivateGroupLength';
    return element.privateCreator === undefined
      ? 'PrivateTag'
      : `PrivateTag [${element.privateCreator}]`;
  }
  const entry = lookupTag(tag);
  if (entry !== undefined && entry.keyword !== '') {
    return entry.retired ? `RETIRED_${entry.keyword}` : entry.keyword;
  }
  return tagElement(tag) === 0 ? 'GenericGroupLength' : 'UnknownTag';
}

function dumpElement(
  dataset: Dataset,
  element: Element,
  depth: number,
  max: number,
  lines: string[],
): void {
  const tag = tagText(element.tag);
  const keyword = keywordOf(element);
  const length = lengthText(element.length);
  if (element.kind === 'sequence') {
    const kind = element.length === UNDEFINED_LENGTH ? 'undefined' : 'explicit';
    const value = `(Sequence with ${kind} length #=${element.items.length})`;
    lines.push(line(depth, tag, element.vr, value, length, 1, keyword));
    for (const item of element.items) dumpItem(item, depth + 1, max, lines);
    const note = element.length === UNDEFINED_LENGTH ? '' : ' for re-encod.';
    lines.push(delimitation(depth, 0xe0dd, `SequenceDelimitationItem${note}`));
    return;
  }
  if (element.kind === 'encapsulated') {
    const value = `(PixelSequence #=${element.fragments.length})`;
    lines.push(line(depth, tag, element.vr, value, length, 1, keyword));
    for (const fragment of element.fragments) {
      lines.push(fragmentLine(fragment, depth + 1, max));
    }
    lines.push(delimitation(depth, 0xe0dd, 'SequenceDelimitationItem'));
    return;
  }
  const { text, vm } = valueText(dataset, element, max);
  lines.push(line(depth, tag, element.vr, text, length, vm, keyword));
}

function dumpItem(item: Item, depth: number, max: number, lines: string[]): void {
  const undefinedLength = item.length === UNDEFINED_LENGTH;
  const value = `(Item with ${undefinedLength ? 'undefined' : 'explicit'} length #=${item.dataset.size})`;
  lines.push(line(depth, '(fffe,e000)', 'na', value, lengthText(item.length), 1, 'Item'));
  dumpDataset(item.dataset, depth + 1, max, lines);
  const note = undefinedLength ? '' : ' for re-encoding';
  lines.push(delimitation(depth, 0xe00d, `ItemDelimitationItem${note}`));
}

function delimitation(depth: number, element: number, text: string): string {
  const keyword = element === 0xe0dd ? 'SequenceDelimitationItem' : 'ItemDelimitationItem';
  const tag = `(fffe,${element.toString(16)})`;
  return line(depth, tag, 'na', `(${text})`, '0', 0, keyword);
}

function fragmentLine(fragment: Fragment, depth: number, max: number): string {
  let text: string;
  if (fragment.bytes === undefined) text = fragment.length === 0 ? NO_VALUE : '(not loaded)';
  else if (fragment.bytes.length === 0) text = NO_VALUE;
  else text = joinLimited(fragment.bytes, (byte) => hex(byte, 2), max);
  return line(depth, '(fffe,e000)', 'pi', text, String(fragment.length), 1, 'Item');
}

const NO_VALUE = '(no value available)';

function hex(value: number | bigint, digits: number): string {
  return value.toString(16).padStart(digits, '0');
}

/**
 * Values joined with '\'. A text longer than `max` is cut to end with '...' within `max`
 * characters, as dcmdump does: strings anywhere, numbers and hex words after a whole value.
 */
function joinLimited<T>(
  values: Iterable<T>,
  format: (value: T) => string,
  max: number,
  brackets = false,
): string {
  if (brackets) {
    let text = '[';
    let first = true;
    for (const value of values) {
      text += (first ? '' : '\\') + format(value);
      first = false;
      if (text.length > max) return text.slice(0, max - 3) + '...';
    }
    return text.length + 1 > max ? text.slice(0, max - 3) + '...' : text + ']';
  }
  let text = '';
  let fits = 0; // length of the longest whole-value prefix that leaves room for '...'
  for (const value of values) {
    text += (text === '' ? '' : '\\') + format(value);
    if (text.length <= max - 3) fits = text.length;
    if (text.length > max) return text.slice(0, fits) + '...';
  }
  return text;
}

/** Control characters would break the one-line layout: they are shown as '.'. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]/g, '.');
}

function binaryFormatter(vr: VR): (value: number | bigint) => string {
  switch (vr) {
    case 'OB':
    case 'UN':
      return (value) => hex(value, 2);
    case 'OW':
      return (value) => hex(value, 4);
    case 'OL':
      return (value) => hex(value, 8);
    case 'OV':
      return (value) => hex(value, 16);
    case 'FL':
    case 'OF':
      return (value) => String(shortestFloat32(Number(value)));
    default:
      return (value) => String(value);
  }
}

function valueText(
  dataset: Dataset,
  element: ValueElement,
  max: number,
): { text: string; vm: number } {
  if (element.bytes === undefined && element.bulk !== undefined) {
    return { text: '(not loaded)', vm: elementVM(readValue(dataset, element)) };
  }
  if (STRING_VRS.has(element.vr)) {
    let values: string[];
    try {
      values = readStrings(dataset, element);
    } catch {
      values = splitStrings(decodeLatin1(element.bytes ?? new Uint8Array(0)), element.vr);
    }
    if (values.length === 0) return { text: NO_VALUE, vm: 0 };
    if (element.vr === 'UI' && values.length === 1) {
      const known = lookupUid(values[0]!);
      if (known !== undefined && known.keyword !== '') {
        return { text: `=${known.retired ? 'RETIRED_' : ''}${known.keyword}`, vm: 1 };
      }
    }
    const text = joinLimited(values, printable, max, true);
    return { text, vm: values.length };
  }
  const value = readValue(dataset, element, { lenient: true });
  const vm = elementVM(value);
  switch (value.kind) {
    case 'tags':
      if (value.values.length === 0) return { text: NO_VALUE, vm };
      return { text: joinLimited(value.values, tagText, max), vm };
    case 'binary': {
      if (value.values.length === 0) return { text: NO_VALUE, vm };
      // A malformed value (lenient fallback) is shown as its bytes.
      const format =
        value.warning === undefined ? binaryFormatter(value.vr) : binaryFormatter('OB');
      return { text: joinLimited<number | bigint>(iterate(value.values), format, max), vm };
    }
    case 'sequence':
      return { text: NO_VALUE, vm: 0 };
    default:
      return { text: NO_VALUE, vm };
  }
}

function iterate(values: BinaryArray): Iterable<number | bigint> {
  return values as Iterable<number | bigint>;
}

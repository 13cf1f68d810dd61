import { Inflate } from 'fflate';
import {
  Dataset,
  EXPLICIT_BIG,
  EXPLICIT_LITTLE,
  IMPLICIT_LITTLE,
  UNDEFINED_LENGTH,
  type DatasetEncoding,
  type Element,
  type EncapsulatedElement,
  type Fragment,
  type Item,
  type SequenceElement,
  type ValueElement,
} from '../dataset.js';
import { decodeLatin1 } from '../charset/latin1.js';
import { DicomError } from '../errors.js';
import { lookupTag } from '../dictionary/index.js';
import {
  formatTag,
  ITEM,
  ITEM_DELIMITATION,
  privateCreatorTagFor,
  SEQUENCE_DELIMITATION,
  TRANSFER_SYNTAX_UID,
  type Tag,
} from '../tag.js';
import {
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  transferSyntaxOf,
  type TransferSyntax,
} from '../transfer-syntax.js';
import { LONG_HEADER_VRS, VRS, type VR } from '../vr.js';
import { ByteQueue } from './byte-queue.js';
import { implicitVR } from './implicit-vr.js';

export interface ParseOptions {
  /**
   * Stop before the first top-level element whose tag is at or after this one (for instance
   * PIXEL_DATA to read a header only). The element is not consumed; `stoppedAt` says where it is.
   */
  readonly untilTag?: Tag | undefined;
  /**
   * Values (and pixel fragments) longer than this many bytes are not kept in memory: the element
   * gets a `bulk` reference and its bytes are skipped. Default: keep everything.
   */
  readonly bulkThreshold?: number | undefined;
  /** Deepest sequence nesting accepted; deeper ends in a TOO_DEEP error. Default 128. */
  readonly maxDepth?: number | undefined;
  /**
   * Largest value kept in memory; a longer one that is not bulk data is a TOO_LARGE error.
   * Default 1 GiB. Guards against a corrupt length making us buffer a whole stream.
   */
  readonly maxValueLength?: number | undefined;
  /**
   * 'part10' (default): a file, with or without preamble and file meta (ACR-NEMA style datasets
   * are detected). 'dataset': a bare dataset in `transferSyntaxUid`, as a DIMSE peer sends it.
   */
  readonly input?: 'part10' | 'dataset' | undefined;
  /** The transfer syntax of a bare dataset; for 'part10', used only when the file has no meta. */
  readonly transferSyntaxUid?: string | undefined;
}

export interface ParseWarning {
  readonly message: string;
  readonly offset?: number | undefined;
  readonly tag?: Tag | undefined;
}

export interface ParseResult {
  /** The file meta information group (empty for a bare dataset or an ACR-NEMA file). */
  readonly meta: Dataset;
  readonly dataset: Dataset;
  /** The transfer syntax the dataset was read with (after any correction of a wrong meta). */
  readonly transferSyntaxUid: string;
  /** Whether the file had the 128-byte preamble and 'DICM'. */
  readonly hasPreamble: boolean;
  /** Offset of the first dataset byte, after the meta group. */
  readonly datasetOffset: number;
  /** Set when the dataset is deflated: element offsets are then offsets in the inflated stream. */
  readonly inflated: boolean;
  /** Set when parsing stopped at `untilTag`: the tag and offset of the first element not read. */
  readonly stoppedAt: { readonly tag: Tag; readonly offset: number } | undefined;
  readonly warnings: readonly ParseWarning[];
}

type Phase = 'preamble' | 'meta' | 'detect' | 'dataset' | 'done';

interface DatasetFrame {
  readonly type: 'dataset';
  readonly dataset: Dataset;
  /** Absolute offset where a defined-length item ends; Infinity when delimited or top level. */
  readonly end: number;
  readonly depth: number;
  /** The meta frame ends at the first element outside group 0002. */
  readonly meta: boolean;
}

interface SequenceFrame {
  readonly type: 'sequence';
  readonly element: SequenceElement;
  readonly end: number;
  readonly encoding: DatasetEncoding;
  readonly parent: Dataset;
  readonly depth: number;
}

interface FragmentsFrame {
  readonly type: 'fragments';
  readonly element: EncapsulatedElement;
  readonly end: number;
}

type Frame = DatasetFrame | SequenceFrame | FragmentsFrame;

const DEFAULT_MAX_DEPTH = 128;
const DEFAULT_MAX_VALUE = 1024 * 1024 * 1024;
const PREAMBLE_LENGTH = 128;
/** Fewest deflated bytes pushed to the inflater at once (but at the end of the stream). */
const INFLATE_SLICE = 16 * 1024;
/** Most deflated bytes pushed to the inflater at once. */
const INFLATE_SLICE_MAX = 64 * 1024;

/**
 * An incremental DICOM parser. Feed it chunks with `write`, then call `end`. It never needs the
 * whole stream at once: memory is what the kept values need, plus one partial element header.
 * Bulk values are skipped as they stream past, and a file reader can skip them without reading
 * (`skippable` / `skipped`).
 *
 * Structure errors are `DicomError`s with the offset and tag; the parser does not recover from
 * them (a caller that wants what was read so far can read `partial`).
 */
export class DicomParser {
  private readonly options: ParseOptions;
  private readonly raw = new ByteQueue();
  /** The queue elements are read from: `raw`, or the inflated stream for deflated syntaxes. */
  private queue: ByteQueue;
  private inflater: Inflate | undefined;
  /** Set once the last deflated byte has been pushed (with fflate's final flag). */
  private inflateFinished = false;
  private phase: Phase;
  private readonly stack: Frame[] = [];
  private readonly warningList: ParseWarning[] = [];
  private readonly meta = new Dataset(EXPLICIT_LITTLE);
  private dataset: Dataset;
  private syntax: TransferSyntax;
  private hasPreamble = false;
  private datasetOffset = 0;
  private stopped: { tag: Tag; offset: number } | undefined;
  /** Set when the meta does not say how the dataset is encoded: then the bytes decide. */
  private detectFromBytes = false;
  /** Bytes of a bulk value still to be skipped. */
  private pendingSkip = 0;
  private ended = false;
  private readonly bulkThreshold: number;
  private readonly maxDepth: number;
  private readonly maxValue: number;

  constructor(options: ParseOptions = {}) {
    this.options = options;
    this.queue = this.raw;
    this.bulkThreshold = options.bulkThreshold ?? Infinity;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxValue = options.maxValueLength ?? DEFAULT_MAX_VALUE;
    this.syntax = transferSyntaxOf(options.transferSyntaxUid ?? IMPLICIT_VR_LITTLE_ENDIAN);
    this.dataset = new Dataset(encodingOf(this.syntax));
    if (options.input === 'dataset') {
      if (options.transferSyntaxUid === undefined) {
        throw new DicomError(
          'UNSUPPORTED_TRANSFER_SYNTAX',
          'a bare dataset needs its transfer syntax',
        );
      }
      this.phase = 'dataset';
      this.startDataset();
    } else {
      this.phase = 'preamble';
    }
  }

  /** True once the parser needs no more input (the end of the stream, or `untilTag` reached). */
  get done(): boolean {
    return this.phase === 'done';
  }

  /**
   * How many bytes the caller may skip in its source instead of feeding them (the rest of a bulk
   * value). A file reader seeks past them and then calls `skipped(n)`.
   */
  get skippable(): number {
    if (this.inflater !== undefined) return 0;
    return Math.max(0, this.pendingSkip - this.raw.length);
  }

  skipped(n: number): void {
    if (n > this.skippable) throw new RangeError(`cannot skip ${n} bytes`);
    this.pendingSkip -= n;
    this.raw.position += n;
  }

  /** Absolute offset of the next byte the parser expects from the source. */
  get sourceOffset(): number {
    return this.raw.position + this.raw.length;
  }

  write(chunk: Uint8Array): void {
    if (this.phase === 'done') return;
    if (this.ended) throw new Error('write after end');
    this.raw.push(chunk);
    this.run();
  }

  /** Signals the end of the stream and returns the result; throws if the stream was cut short. */
  end(): ParseResult {
    if (!this.ended) {
      this.ended = true;
      this.run(); // a deflated dataset: inflates the rest of the input, the last push final

      if (this.phase !== 'done') this.finishAtEnd();
    }
    return this.result();
  }

  /** No more bytes will reach the element queue: the stream ended and all of it is inflated. */
  private get inputEnded(): boolean {
    return this.ended && (this.inflater === undefined || this.inflateFinished);
  }

  /** What has been read so far, for a caller that wants a lenient view of a broken stream. */
  get partial(): ParseResult {
    return this.result();
  }

  private result(): ParseResult {
    return {
      meta: this.meta,
      dataset: this.dataset,
      transferSyntaxUid: this.syntax.uid,
      hasPreamble: this.hasPreamble,
      datasetOffset: this.datasetOffset,
      inflated: this.inflater !== undefined,
      stoppedAt: this.stopped,
      warnings: this.warningList,
    };
  }

  private warn(message: string, offset?: number, tag?: Tag): void {
    this.warningList.push({ message, offset, tag });
  }

  // ---------------------------------------------------------------------------------------------
  // Phases

  private run(): void {
    for (;;) {
      switch (this.phase) {
        case 'preamble':
          if (!this.readPreamble()) return;
          break;
        case 'meta':
        case 'dataset':
          if (this.readElements()) break;
          // More input needed: for a deflated dataset, inflate the next slice and read on.
          if (this.inflater === undefined || !this.inflateSlice()) return;
          break;
        case 'detect':
          if (!this.detectDatasetEncoding()) return;
          break;
        case 'done':
          return;
      }
    }
  }

  /** PS3.10 7.1: 128-byte preamble and 'DICM'; also accepts 'DICM' first and no preamble at all. */
  private readPreamble(): boolean {
    const q = this.raw;
    if (q.length < PREAMBLE_LENGTH + 4 && !this.ended) return false;
    if (q.length >= PREAMBLE_LENGTH + 4) {
      const c = q.contiguous(PREAMBLE_LENGTH + 4);
      const i = q.index;
      if (isDicm(c, i + PREAMBLE_LENGTH)) {
        q.skip(PREAMBLE_LENGTH + 4);
        this.hasPreamble = true;
        return this.startMeta();
      }
    }
    if (q.length >= 4) {
      const c = q.contiguous(4);
      const i = q.index;
      if (isDicm(c, i)) {
        q.skip(4);
        this.warn('no preamble before DICM', 0);
        return this.startMeta();
      }
    }
    if (q.length === 0) {
      throw new DicomError('TRUNCATED', 'empty file: no DICOM data', { offset: 0 });
    }
    if (q.length >= 8) {
      const c = q.contiguous(8);
      const i = q.index;
      if (c[i] === 0x02 && c[i + 1] === 0x00 && isVRBytes(c, i + 4)) {
        this.warn('file meta group without preamble', 0);
        return this.startMeta();
      }
    }
    // No file meta: an ACR-NEMA style or bare dataset. Detect its encoding from the first element.
    this.phase = 'detect';
    return true;
  }

  private startMeta(): boolean {
    this.phase = 'meta';
    this.stack.length = 0;
    this.stack.push({ type: 'dataset', dataset: this.meta, end: Infinity, depth: 0, meta: true });
    return true;
  }

  /** Called when the meta group is over: choose the dataset's transfer syntax. */
  private endMeta(): void {
    const element = this.meta.get(TRANSFER_SYNTAX_UID);
    if (element?.kind === 'value' && element.bytes !== undefined) {
      this.syntax = transferSyntaxOf(asciiOf(element.bytes));
      this.phase = 'detect';
    } else {
      this.warn('file meta has no Transfer Syntax UID; detecting the encoding', this.raw.position);
      this.phase = 'detect';
      this.syntax = transferSyntaxOf(this.options.transferSyntaxUid ?? IMPLICIT_VR_LITTLE_ENDIAN);
      this.detectFromBytes = true;
    }
    if (this.meta.size === 0) this.detectFromBytes = true;
  }

  /**
   * Checks the first dataset element against the declared encoding. Files whose meta names an
   * explicit syntax while the dataset is implicit (or the reverse) exist; like DCMTK and pydicom
   * we read what the bytes say and warn (PS3.5 7.1: the VR field can be recognised).
   */
  private detectDatasetEncoding(): boolean {
    const q = this.raw;
    if (this.syntax.deflated) {
      this.startDataset();
      return true;
    }
    if (q.length < 8 && !this.ended) return false;
    const noMeta = this.meta.size === 0;
    if (q.length >= 8) {
      const c = q.contiguous(8);
      const i = q.index;
      const explicitLooks = isVRBytes(c, i + 4);
      const bigEndianLooks = c[i] === 0x00 && c[i + 1] !== 0x00;
      if (noMeta || this.detectFromBytes) {
        const uid = explicitLooks
          ? bigEndianLooks
            ? EXPLICIT_VR_BIG_ENDIAN
            : EXPLICIT_VR_LITTLE_ENDIAN
          : IMPLICIT_VR_LITTLE_ENDIAN;
        if (
          this.options.transferSyntaxUid === undefined ||
          explicitLooks !== this.syntax.explicitVR
        ) {
          this.syntax = transferSyntaxOf(uid);
        }
      } else if (this.syntax.explicitVR && !explicitLooks) {
        this.warn(
          `transfer syntax ${this.syntax.uid} is explicit VR but the dataset is implicit VR; reading it as implicit`,
          q.position,
        );
        this.syntax = transferSyntaxOf(IMPLICIT_VR_LITTLE_ENDIAN);
      } else if (!this.syntax.explicitVR && explicitLooks && plausibleExplicit(c, i)) {
        this.warn(
          `transfer syntax ${this.syntax.uid} is implicit VR but the dataset is explicit VR; reading it as explicit`,
          q.position,
        );
        this.syntax = transferSyntaxOf(EXPLICIT_VR_LITTLE_ENDIAN);
      }
    }
    this.startDataset();
    return true;
  }

  private startDataset(): void {
    this.dataset = new Dataset(encodingOf(this.syntax));
    this.datasetOffset = this.raw.position;
    this.phase = 'dataset';
    this.stack.length = 0;
    this.stack.push({
      type: 'dataset',
      dataset: this.dataset,
      end: Infinity,
      depth: 0,
      meta: false,
    });
    if (this.syntax.deflated) {
      // PS3.5 A.5: everything after the meta group is one raw deflate stream (RFC 1951).
      this.queue = new ByteQueue(0);
      this.inflater = new Inflate((data) => this.queue.push(data));
    }
  }

  /**
   * Pushes the next slice of deflated input (at most INFLATE_SLICE_MAX bytes) to the inflater, so
   * a header is read after inflating about what it needs, not a whole chunk of the stream. Each
   * push costs fflate a copy of its 32 KiB window, so input fed a few bytes at a time is pooled
   * until INFLATE_SLICE bytes are there; nothing is lost by waiting, as end() pushes the rest.
   * Returns false when there was nothing to push.
   */
  private inflateSlice(): boolean {
    if (this.inflateFinished) return false;
    const raw = this.raw;
    if (!this.ended && raw.length < INFLATE_SLICE) return false;
    const bytes = raw.take(Math.min(raw.length, INFLATE_SLICE_MAX));
    const final = this.ended && raw.length === 0;
    try {
      this.inflater!.push(bytes, final);
    } catch (cause) {
      throw new DicomError('BAD_DEFLATE', 'the deflated dataset does not inflate', {
        offset: this.datasetOffset,
        cause,
      });
    }
    if (final) this.inflateFinished = true;
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Elements

  /** Reads as far as the queued bytes allow. Returns true if the phase changed. */
  private readElements(): boolean {
    const q = this.queue;
    for (;;) {
      if (this.pendingSkip > 0) {
        this.pendingSkip -= q.skip(this.pendingSkip);
        if (this.pendingSkip > 0) return false;
      }
      const frame = this.stack[this.stack.length - 1];
      if (frame === undefined) {
        this.phase = 'done';
        return true;
      }
      if (q.position >= frame.end) {
        if (q.position > frame.end) {
          throw new DicomError(
            'BAD_LENGTH',
            `an element runs ${q.position - frame.end} bytes past the end of its ${frame.type === 'dataset' ? 'item' : frame.type}`,
            { offset: frame.end },
          );
        }
        this.stack.pop();
        continue;
      }
      let progressed: boolean;
      switch (frame.type) {
        case 'dataset':
          progressed = this.readDatasetElement(frame);
          if (this.phase !== 'meta' && this.phase !== 'dataset') return true;
          break;
        case 'sequence':
          progressed = this.readSequenceItem(frame);
          break;
        case 'fragments':
          progressed = this.readFragment(frame);
          break;
      }
      if (!progressed) return false;
    }
  }

  private readDatasetElement(frame: DatasetFrame): boolean {
    const q = this.queue;
    if (q.length < 8) return false;
    const encoding = frame.dataset.encoding;
    const le = encoding.littleEndian;
    const offset = q.position;
    let c = q.contiguous(8);
    let i = q.index;
    const tag = readTag(c, i, le);

    if (frame.meta && tag >>> 16 !== 0x0002) {
      this.stack.pop();
      this.endMeta();
      return true;
    }
    if (tag === ITEM_DELIMITATION || tag === SEQUENCE_DELIMITATION) {
      q.skip(8);
      if (frame.end !== Infinity || this.stack.length === 1) {
        // A delimiter where none belongs: tolerated like DCMTK does, with a warning.
        this.warn(`unexpected ${formatTag(tag)} in a dataset`, offset, tag);
        return true;
      }
      this.stack.pop(); // end of an undefined-length item
      if (tag === SEQUENCE_DELIMITATION) {
        this.warn('sequence delimiter without item delimiter', offset, tag);
        this.stack.pop();
      }
      return true;
    }
    if (
      this.stack.length === 1 &&
      !frame.meta &&
      this.options.untilTag !== undefined &&
      tag >= this.options.untilTag
    ) {
      this.stopped = { tag, offset };
      this.phase = 'done';
      return true;
    }

    // Header (PS3.5 7.1.2 explicit, 7.1.3 implicit).
    let wireVR: VR | undefined;
    let vr: VR;
    let length: number;
    let headerLength: number;
    if (encoding.explicitVR) {
      const vr0 = c[i + 4]!;
      const vr1 = c[i + 5]!;
      const code = vrCode(vr0, vr1);
      const known = code < 0 ? undefined : VR_BY_CODE[code];
      if (known !== undefined) {
        wireVR = known;
        if (LONG_BY_CODE[code] === 1) {
          if (q.length < 12) return false;
          c = q.contiguous(12);
          i = q.index;
          length = readU32(c, i + 8, le);
          headerLength = 12;
        } else {
          length = le ? c[i + 6]! | (c[i + 7]! << 8) : (c[i + 6]! << 8) | c[i + 7]!;
          headerLength = 8;
        }
        vr = wireVR;
      } else {
        // Not a standard VR: read a 2-byte length like DCMTK does and treat the value as UN.
        length = le ? c[i + 6]! | (c[i + 7]! << 8) : (c[i + 6]! << 8) | c[i + 7]!;
        headerLength = 8;
        if (
          this.options.input !== 'dataset' &&
          (vr0 < 0x20 || vr0 > 0x7e || vr1 < 0x20 || vr1 > 0x7e)
        ) {
          throw new DicomError('BAD_VR', `invalid VR bytes 0x${hex2(vr0)}${hex2(vr1)}`, {
            offset,
            tag,
          });
        }
        this.warn(`non-standard VR '${String.fromCharCode(vr0, vr1)}', read as UN`, offset, tag);
        wireVR = 'UN';
        vr = 'UN';
      }
      if (vr === 'UN' && length !== UNDEFINED_LENGTH) {
        // PS3.5 6.2.2: a UN element is re-read with the VR the dictionary knows.
        const known = implicitVR(tag, frame.dataset);
        if (known !== 'UN') vr = known;
      }
    } else {
      length = readU32(c, i + 4, le);
      headerLength = 8;
      vr = implicitVR(tag, frame.dataset);
    }

    if (length === UNDEFINED_LENGTH) {
      q.skip(headerLength);
      const sequence = vr === 'SQ' || wireVR === 'UN' || (wireVR === undefined && vr !== 'OW');
      if (sequence) {
        // Undefined-length UN is a sequence encoded in implicit VR LE (PS3.5 6.2.2 note 3); an
        // unknown implicit element of undefined length can only be a sequence.
        const itemEncoding = wireVR === 'UN' ? IMPLICIT_LITTLE : encoding;
        this.openSequence(frame, tag, wireVR, offset, length, Infinity, itemEncoding);
      } else {
        // Encapsulated pixel data (PS3.5 A.4), at top level or in an icon image item.
        const element: EncapsulatedElement = {
          kind: 'encapsulated',
          tag,
          // Encapsulated Pixel Data is OB (PS3.5 A.4), whatever implicit VR would guess.
          vr: wireVR ?? 'OB',
          wireVR,
          offset,
          length,
          fragments: [],
        };
        this.add(frame.dataset, element);
        this.stack.push({ type: 'fragments', element, end: Infinity });
      }
      return true;
    }

    if (vr === 'SQ' && wireVR === 'UN') {
      return this.readUnknownSequence(frame, tag, offset, headerLength, length);
    }
    if (vr === 'SQ') {
      q.skip(headerLength);
      const end = q.position + length;
      this.checkFits(frame, end, offset, tag);
      const itemEncoding = wireVR === 'UN' ? IMPLICIT_LITTLE : encoding;
      this.openSequence(frame, tag, wireVR, offset, length, end, itemEncoding);
      return true;
    }

    // A primitive value.
    const valueOffset = offset + headerLength;
    this.checkFits(frame, valueOffset + length, offset, tag);
    if (length > this.bulkThreshold) {
      q.skip(headerLength);
      this.add(
        frame.dataset,
        this.valueElement(frame.dataset, tag, vr, wireVR, offset, length, undefined, {
          offset: valueOffset,
          length,
        }),
      );
      this.pendingSkip = length;
      return true;
    }
    if (length > this.maxValue) {
      throw new DicomError(
        'TOO_LARGE',
        `value of ${length} bytes exceeds the ${this.maxValue}-byte limit`,
        { offset, tag },
      );
    }
    if (q.length < headerLength + length) {
      if (this.inputEnded) {
        throw new DicomError(
          'TRUNCATED',
          `value of ${length} bytes, but only ${Math.max(0, q.length - headerLength)} remain`,
          { offset, tag },
        );
      }
      return false;
    }
    q.skip(headerLength);
    const bytes = q.take(length);
    this.add(
      frame.dataset,
      this.valueElement(frame.dataset, tag, vr, wireVR, offset, length, bytes, undefined),
    );
    return true;
  }

  /**
   * A defined-length UN element that the dictionary says is a sequence: its value is a sequence
   * in implicit VR little endian (PS3.5 6.2.2). If it does not parse as one, it stays UN.
   */
  private readUnknownSequence(
    frame: DatasetFrame,
    tag: Tag,
    offset: number,
    headerLength: number,
    length: number,
  ): boolean {
    const q = this.queue;
    if (length > this.maxValue) {
      throw new DicomError(
        'TOO_LARGE',
        `value of ${length} bytes exceeds the ${this.maxValue}-byte limit`,
        { offset, tag },
      );
    }
    if (q.length < headerLength + length) {
      if (this.inputEnded) {
        throw new DicomError(
          'TRUNCATED',
          `value of ${length} bytes, but only ${Math.max(0, q.length - headerLength)} remain`,
          { offset, tag },
        );
      }
      return false;
    }
    this.checkFits(frame, offset + headerLength + length, offset, tag);
    q.skip(headerLength);
    const bytes = q.take(length);
    const element: SequenceElement = {
      kind: 'sequence',
      tag,
      vr: 'SQ',
      wireVR: 'UN',
      offset,
      length,
      items: [],
      privateCreator: this.creatorOf(frame.dataset, tag),
    };
    const inner = new DicomParser({
      ...this.options,
      input: 'dataset',
      transferSyntaxUid: IMPLICIT_VR_LITTLE_ENDIAN,
      untilTag: undefined,
    });
    inner.queue.position = offset + headerLength;
    inner.raw.position = offset + headerLength;
    inner.stack.length = 0;
    inner.stack.push({
      type: 'sequence',
      element,
      end: offset + headerLength + length,
      encoding: IMPLICIT_LITTLE,
      parent: frame.dataset,
      depth: frame.depth + 1,
    });
    try {
      inner.write(bytes);
      inner.end();
      this.add(frame.dataset, element);
    } catch {
      this.warn('UN value is not the sequence the dictionary expects; kept as UN', offset, tag);
      this.add(
        frame.dataset,
        this.valueElement(frame.dataset, tag, 'UN', 'UN', offset, length, bytes, undefined),
      );
    }
    return true;
  }

  private valueElement(
    dataset: Dataset,
    tag: Tag,
    vr: VR,
    wireVR: VR | undefined,
    offset: number,
    length: number,
    bytes: Uint8Array | undefined,
    bulk: { offset: number; length: number } | undefined,
  ): ValueElement {
    const creator = this.creatorOf(dataset, tag);
    return { kind: 'value', tag, vr, wireVR, offset, length, bytes, bulk, privateCreator: creator };
  }

  private creatorOf(dataset: Dataset, tag: Tag): string | undefined {
    const creatorTag = privateCreatorTagFor(tag);
    if (creatorTag === undefined) return undefined;
    const creator = dataset.get(creatorTag);
    if (creator?.kind !== 'value' || creator.bytes === undefined) return undefined;
    return asciiOf(creator.bytes);
  }

  private openSequence(
    frame: DatasetFrame,
    tag: Tag,
    wireVR: VR | undefined,
    offset: number,
    length: number,
    end: number,
    itemEncoding: DatasetEncoding,
  ): void {
    const depth = frame.depth + 1;
    if (depth > this.maxDepth) {
      throw new DicomError('TOO_DEEP', `sequences nested deeper than ${this.maxDepth}`, {
        offset,
        tag,
      });
    }
    const element: SequenceElement = {
      kind: 'sequence',
      tag,
      vr: 'SQ',
      wireVR,
      offset,
      length,
      items: [],
      privateCreator: this.creatorOf(frame.dataset, tag),
    };
    this.add(frame.dataset, element);
    this.stack.push({
      type: 'sequence',
      element,
      end,
      encoding: itemEncoding,
      parent: frame.dataset,
      depth,
    });
  }

  private readSequenceItem(frame: SequenceFrame): boolean {
    const q = this.queue;
    if (q.length < 8) return false;
    const offset = q.position;
    const c = q.contiguous(8);
    const i = q.index;
    const le = frame.encoding.littleEndian;
    const tag = readTag(c, i, le);
    const length = readU32(c, i + 4, le);
    if (tag === SEQUENCE_DELIMITATION) {
      q.skip(8);
      if (frame.end !== Infinity)
        this.warn('sequence delimiter in a defined-length sequence', offset, tag);
      this.stack.pop();
      return true;
    }
    if (tag !== ITEM) {
      throw new DicomError(
        'BAD_SEQUENCE',
        `expected an item in sequence ${formatTag(frame.element.tag)}, found ${formatTag(tag)}`,
        { offset, tag },
      );
    }
    q.skip(8);
    const end = length === UNDEFINED_LENGTH ? Infinity : q.position + length;
    if (end !== Infinity && end > frame.end) {
      throw new DicomError(
        'BAD_LENGTH',
        `item of ${length} bytes runs past the end of its sequence`,
        { offset, tag: frame.element.tag },
      );
    }
    const dataset = new Dataset(frame.encoding, frame.parent);
    const item: Item = { offset, length, dataset };
    frame.element.items.push(item);
    this.stack.push({ type: 'dataset', dataset, end, depth: frame.depth, meta: false });
    return true;
  }

  private readFragment(frame: FragmentsFrame): boolean {
    const q = this.queue;
    if (q.length < 8) return false;
    const offset = q.position;
    const c = q.contiguous(8);
    const i = q.index;
    // Encapsulated transfer syntaxes are little endian (PS3.5 A.4).
    const tag = readTag(c, i, true);
    const length = readU32(c, i + 4, true);
    if (tag === SEQUENCE_DELIMITATION) {
      q.skip(8);
      this.stack.pop();
      return true;
    }
    if (tag !== ITEM || length === UNDEFINED_LENGTH) {
      throw new DicomError(
        'BAD_SEQUENCE',
        `expected a pixel data fragment, found ${formatTag(tag)}`,
        { offset, tag: frame.element.tag },
      );
    }
    if (length > this.bulkThreshold) {
      q.skip(8);
      frame.element.fragments.push({ offset, length, bytes: undefined });
      this.pendingSkip = length;
      return true;
    }
    if (length > this.maxValue) {
      throw new DicomError(
        'TOO_LARGE',
        `fragment of ${length} bytes exceeds the ${this.maxValue}-byte limit`,
        { offset, tag: frame.element.tag },
      );
    }
    if (q.length < 8 + length) return false;
    q.skip(8);
    const fragment: Fragment = { offset, length, bytes: q.take(length) };
    frame.element.fragments.push(fragment);
    return true;
  }

  private checkFits(frame: DatasetFrame, end: number, offset: number, tag: Tag): void {
    if (end > frame.end) {
      throw new DicomError(
        'BAD_LENGTH',
        `element length runs ${end - frame.end} bytes past the end of its item`,
        { offset, tag },
      );
    }
  }

  private add(dataset: Dataset, element: Element): void {
    // One map operation per element: a set that does not grow the map replaced an element.
    const size = dataset.elements.size;
    dataset.elements.set(element.tag, element);
    if (dataset.elements.size === size) {
      this.warn(
        `duplicate element ${formatTag(element.tag)}; the later one is kept`,
        element.offset,
        element.tag,
      );
    }
  }

  /** The stream ended: decide whether what we have is a whole dataset. */
  private finishAtEnd(): void {
    if (this.phase === 'meta') {
      this.stack.pop();
      this.endMeta();
      this.run();
      if ((this.phase as Phase) === 'done') return;
    }
    const q = this.queue;
    if (this.pendingSkip > 0) {
      const top = this.stack[this.stack.length - 1];
      throw new DicomError(
        'TRUNCATED',
        `the stream ended ${this.pendingSkip} bytes before the end of a value`,
        {
          offset: q.position,
          tag: top?.type === 'fragments' ? top.element.tag : undefined,
        },
      );
    }
    // Only a top-level dataset may end with the stream; any other open frame was cut short.
    const open = this.stack.filter(
      (f, k) => !(k === 0 && f.type === 'dataset' && f.end === Infinity),
    );
    if (open.length > 0) {
      const innermost = open[open.length - 1]!;
      const tag = innermost.type === 'dataset' ? undefined : innermost.element.tag;
      const what =
        innermost.type === 'dataset'
          ? 'an item'
          : innermost.type === 'sequence'
            ? 'a sequence'
            : 'encapsulated pixel data';
      throw new DicomError('TRUNCATED', `the stream ended inside ${what}`, {
        offset: q.position,
        tag,
      });
    }
    if (q.length > 0) {
      // Fewer bytes than an element header: trailing padding, as pydicom and DCMTK tolerate.
      this.warn(`${q.length} trailing bytes after the last element ignored`, q.position);
      q.skip(q.length);
    }
    this.phase = 'done';
  }
}

/** The VRs by vrCode of their two bytes, and whether their explicit header is the long one. */
const VR_BY_CODE: (VR | undefined)[] = Array.from({ length: 26 * 26 }, () => undefined);
const LONG_BY_CODE = new Uint8Array(26 * 26);
for (const vr of VRS) {
  const code = vrCode(vr.charCodeAt(0), vr.charCodeAt(1));
  VR_BY_CODE[code] = vr;
  LONG_BY_CODE[code] = LONG_HEADER_VRS.has(vr) ? 1 : 0;
}

/** Two upper-case letters as 0..675; -1 for any other bytes. */
function vrCode(a: number, b: number): number {
  const x = a - 0x41;
  const y = b - 0x41;
  return x >= 0 && x < 26 && y >= 0 && y < 26 ? x * 26 + y : -1;
}

function encodingOf(syntax: TransferSyntax): DatasetEncoding {
  if (!syntax.explicitVR) return IMPLICIT_LITTLE;
  return syntax.littleEndian ? EXPLICIT_LITTLE : EXPLICIT_BIG;
}

function readTag(c: Uint8Array, i: number, le: boolean): Tag {
  if (le) {
    return ((c[i]! | (c[i + 1]! << 8)) * 0x10000 + (c[i + 2]! | (c[i + 3]! << 8))) >>> 0;
  }
  return (((c[i]! << 8) | c[i + 1]!) * 0x10000 + ((c[i + 2]! << 8) | c[i + 3]!)) >>> 0;
}

function readU32(c: Uint8Array, i: number, le: boolean): number {
  if (le) return (c[i]! | (c[i + 1]! << 8) | (c[i + 2]! << 16) | (c[i + 3]! << 24)) >>> 0;
  return ((c[i]! << 24) | (c[i + 1]! << 16) | (c[i + 2]! << 8) | c[i + 3]!) >>> 0;
}

function isDicm(c: Uint8Array, i: number): boolean {
  return c[i] === 0x44 && c[i + 1] === 0x49 && c[i + 2] === 0x43 && c[i + 3] === 0x4d;
}

function isVRBytes(c: Uint8Array, i: number): boolean {
  const code = vrCode(c[i]!, c[i + 1]!);
  return code >= 0 && VR_BY_CODE[code] !== undefined;
}

/** An implicit stream whose length bytes spell a VR by chance would give an absurd length. */
function plausibleExplicit(c: Uint8Array, i: number): boolean {
  const vr = String.fromCharCode(c[i + 4]!, c[i + 5]!) as VR;
  const entry = lookupTag(readTag(c, i, true));
  return entry === undefined || entry.vrs.includes(vr) || vr === 'UN';
}

/** A short code string's text without leading spaces and trailing spaces or NULs. */
function asciiOf(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x00)) end--;
  let start = 0;
  while (start < end && bytes[start] === 0x20) start++;
  return decodeLatin1(bytes.subarray(start, end));
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

import { DicomError } from '../dicom/errors.js';
import { DicomParser, type ParseResult } from '../dicom/parse/index.js';
import { PIXEL_DATA } from '../dicom/tag.js';

/**
 * Parses the header of a data set as its bytes stream past on their way to a file (up to Pixel
 * Data, bulk values skipped). A data set that is not valid DICOM is still written verbatim: the
 * parse error is kept and reported by `header()`, never thrown into the write path.
 */
export class HeaderReader {
  private readonly parser: DicomParser;
  private parseError: DicomError | undefined;

  constructor(transferSyntaxUid: string) {
    this.parser = new DicomParser({
      input: 'dataset',
      transferSyntaxUid,
      untilTag: PIXEL_DATA,
      bulkThreshold: 64 * 1024,
    });
  }

  /** Feeds the next bytes (nothing once the header is complete or failed). */
  write(chunk: Uint8Array): void {
    if (this.parser.done || this.parseError !== undefined) return;
    try {
      this.parser.write(chunk);
    } catch (error) {
      if (!(error instanceof DicomError)) throw error;
      this.parseError = error;
    }
  }

  /** The header, once the data set is complete; or the parse error. */
  header(): { result: ParseResult } | { error: DicomError } {
    if (this.parseError !== undefined) return { error: this.parseError };
    try {
      return { result: this.parser.done ? this.parser.partial : this.parser.end() };
    } catch (error) {
      if (error instanceof DicomError) {
        this.parseError = error;
        return { error };
      }
      throw error;
    }
  }
}

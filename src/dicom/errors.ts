import { formatTag, type Tag } from './tag.js';

/**
 * Stable codes of the errors the DICOM codec raises. A caller branches on the code, never on the
 * message; messages name what is wrong and where (byte offset, tag).
 */
export type DicomErrorCode =
  | 'TRUNCATED' // the input ended inside an element, item or sequence
  | 'BAD_PREAMBLE' // not a Part 10 file and not a recognisable bare dataset
  | 'BAD_FILE_META' // the group 0002 header is unreadable or inconsistent
  | 'BAD_VR' // an explicit VR that is not one of the standard's
  | 'BAD_LENGTH' // a length that the structure around it cannot hold
  | 'BAD_SEQUENCE' // an item or delimiter where none may stand
  | 'TOO_DEEP' // sequences nested deeper than the configured limit
  | 'TOO_LARGE' // a value larger than the configured limit for values kept in memory
  | 'UNSUPPORTED_TRANSFER_SYNTAX'
  | 'BAD_DEFLATE' // the deflated dataset does not inflate
  | 'BAD_VALUE' // a value that cannot be decoded as its VR
  | 'NOT_ENCODABLE'; // a value the writer cannot represent in the chosen encoding

export interface DicomErrorDetails {
  readonly offset?: number | undefined;
  readonly tag?: Tag | undefined;
  readonly cause?: unknown;
}

export class DicomError extends Error {
  readonly code: DicomErrorCode;
  readonly offset: number | undefined;
  readonly tag: Tag | undefined;

  constructor(code: DicomErrorCode, message: string, details: DicomErrorDetails = {}) {
    super(describe(message, details), details.cause === undefined ? {} : { cause: details.cause });
    this.name = 'DicomError';
    this.code = code;
    this.offset = details.offset;
    this.tag = details.tag;
  }
}

function describe(message: string, { offset, tag }: DicomErrorDetails): string {
  const where: string[] = [];
  if (tag !== undefined) where.push(`tag ${formatTag(tag)}`);
  if (offset !== undefined) where.push(`offset ${offset}`);
  return where.length === 0 ? message : `${message} (${where.join(', ')})`;
}

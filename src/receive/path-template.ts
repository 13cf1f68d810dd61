import { createHash } from 'node:crypto';
import type { Dataset } from '../dicom/dataset.js';
import { lookupTag, tagForKeyword } from '../dicom/dictionary/index.js';
import { parseTag, type Tag } from '../dicom/tag.js';
import { readStrings } from '../dicom/values/index.js';

/**
 * Destination paths from a template, in the original's FilePath syntax
 * (`{00100020}/{0020000D}/{0020000E}/{00080018}.dcm`, dcm4che storescp `--filepath`) or with
 * keywords (`{PatientID}/{StudyInstanceUID}/...`). Every substituted value is sanitised so that
 * no value can escape the storage root, name a reserved file, or collide with our temporary files.
 */
export interface PathTemplate {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

type TemplatePart = { readonly literal: string } | { readonly tag: Tag; readonly name: string };

export class PathTemplateError extends Error {
  constructor(template: string, problem: string) {
    super(`path template '${template}': ${problem}`);
    this.name = 'PathTemplateError';
  }
}

/** Parses a template once, at start-up; throws PathTemplateError naming the bad part. */
export function parsePathTemplate(source: string): PathTemplate {
  const parts: TemplatePart[] = [];
  const pattern = /\{([^{}]*)\}|([^{}]+)|([{}])/g;
  for (const match of source.matchAll(pattern)) {
    if (match[3] !== undefined) throw new PathTemplateError(source, `unbalanced '${match[3]}'`);
    if (match[2] !== undefined) {
      if (/(^|\/)\.\.?(\/|$)/.test(match[2]) || (parts.length === 0 && match[2].startsWith('/'))) {
        throw new PathTemplateError(source, `'${match[2]}' would leave the storage root`);
      }
      parts.push({ literal: match[2] });
      continue;
    }
    const name = match[1]!.trim();
    const tag = /^[0-9a-fA-F]{8}$/.test(name) ? parseTag(name) : tagForKeyword(name);
    if (tag === undefined) throw new PathTemplateError(source, `unknown attribute {${name}}`);
    parts.push({ tag, name: lookupTag(tag)?.keyword ?? name });
  }
  if (!parts.some((part) => 'tag' in part)) {
    throw new PathTemplateError(source, 'names no attribute: every object would get the same path');
  }
  return { source, parts };
}

/** Used for an attribute that is absent or empty, so the path keeps its depth. */
export const MISSING_VALUE = 'UNKNOWN';

/**
 * The relative path for a dataset: '/' separated, each component safe (see `safeComponent`).
 * Joined to the storage root by the caller.
 */
export function renderPath(template: PathTemplate, dataset: Dataset): string {
  let path = '';
  for (const part of template.parts) {
    if ('literal' in part) {
      path += part.literal;
      continue;
    }
    const element = dataset.get(part.tag);
    let value = '';
    if (element?.kind === 'value') {
      try {
        value = readStrings(dataset, element).join('_');
      } catch {
        value = '';
      }
    }
    path += safeComponent(value);
  }
  return path
    .split('/')
    .map((component) => (component === '' ? MISSING_VALUE : reserved(component)))
    .join('/');
}

const MAX_COMPONENT_BYTES = 200;

/**
 * A value as one path component: characters that separate paths or are unsafe in file names
 * (`/ \ : * ? " < > |`, control characters) become `_`; leading dots and trailing dots and spaces
 * go; an empty result is MISSING_VALUE; a very long value is cut and suffixed with a hash so two
 * long values do not collide.
 */
export function safeComponent(value: string): string {
  let text = value
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (text === '') return MISSING_VALUE;
  if (Buffer.byteLength(text) > MAX_COMPONENT_BYTES) {
    const hash = createHash('sha256').update(value).digest('hex').slice(0, 16);
    while (Buffer.byteLength(text) > MAX_COMPONENT_BYTES - 17) text = text.slice(0, -1);
    text = `${text}-${hash}`;
  }
  return text;
}

/** Names that Windows or our own store reserve (a storage root may be shared over SMB). */
function reserved(component: string): string {
  const base = component.split('.')[0]!.toUpperCase();
  if (/^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])$/.test(base) || component.startsWith('.niffler')) {
    return `_${component}`;
  }
  return component;
}

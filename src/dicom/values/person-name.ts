/**
 * Person Name values (PS3.5 6.2.1): up to three component groups separated by '=' (alphabetic,
 * ideographic, phonetic), each of up to five components separated by '^'.
 */

export interface PersonNameComponents {
  /** The component group as written, e.g. 'Yamada^Tarou'. */
  readonly text: string;
  readonly familyName: string;
  readonly givenName: string;
  readonly middleName: string;
  readonly namePrefix: string;
  readonly nameSuffix: string;
}

export interface PersonName {
  /** The whole value as written (all groups), e.g. 'Yamada^Tarou=山田^太郎=やまだ^たろう'. */
  readonly text: string;
  /** Present only when the group is not empty. */
  readonly alphabetic?: PersonNameComponents;
  readonly ideographic?: PersonNameComponents;
  readonly phonetic?: PersonNameComponents;
}

function components(text: string): PersonNameComponents {
  const parts = text.split('^');
  return {
    text,
    familyName: parts[0] ?? '',
    givenName: parts[1] ?? '',
    middleName: parts[2] ?? '',
    namePrefix: parts[3] ?? '',
    // More than five components is invalid; keep the surplus in the suffix rather than lose it.
    nameSuffix: parts.slice(4).join('^'),
  };
}

/** A group is empty when it has no component text: '' or only delimiters ('^^^^'). */
function hasText(group: string): boolean {
  return /[^^]/.test(group);
}

/**
 * Parses one PN value (already decoded, split from its neighbours and without padding). A group
 * with no component text ('', '^^^^') is absent. Groups beyond the third are invalid and ignored
 * except in `text`.
 */
export function parsePersonName(text: string): PersonName {
  const [alphabetic = '', ideographic = '', phonetic = ''] = text.split('=');
  return {
    text,
    ...(hasText(alphabetic) && { alphabetic: components(alphabetic) }),
    ...(hasText(ideographic) && { ideographic: components(ideographic) }),
    ...(hasText(phonetic) && { phonetic: components(phonetic) }),
  };
}

/** True when no group has any text (e.g. '' or '=='): an empty value. */
export function isEmptyPersonName(name: PersonName): boolean {
  return !name.alphabetic && !name.ideographic && !name.phonetic;
}

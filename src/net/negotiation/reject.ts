/**
 * Why an association is rejected, by name, with the A-ASSOCIATE-RJ each name stands for
 * (PS3.8 9.3.4, Table 9-21).
 */
import type { AAssociateRj } from '../pdu/index.js';

export const REJECTIONS = {
  'no-reason-given': ['rejected-permanent', 'service-user', 'no-reason-given'],
  'application-context-name-not-supported': [
    'rejected-permanent',
    'service-user',
    'application-context-name-not-supported',
  ],
  'calling-ae-title-not-recognized': [
    'rejected-permanent',
    'service-user',
    'calling-ae-title-not-recognized',
  ],
  'called-ae-title-not-recognized': [
    'rejected-permanent',
    'service-user',
    'called-ae-title-not-recognized',
  ],
  /**
   * PS3.7 D.3.3.7 defines no reject reason of its own for a user identity the acceptor refuses;
   * like DCMTK we send rejected-permanent, service-user, no-reason-given.
   */
  'user-identity-not-accepted': ['rejected-permanent', 'service-user', 'no-reason-given'],
  'protocol-version-not-supported': [
    'rejected-permanent',
    'service-provider-acse',
    'protocol-version-not-supported',
  ],
  'temporary-congestion': [
    'rejected-transient',
    'service-provider-presentation',
    'temporary-congestion',
  ],
  'local-limit-exceeded': [
    'rejected-transient',
    'service-provider-presentation',
    'local-limit-exceeded',
  ],
} as const satisfies Record<
  string,
  readonly [AAssociateRj['result'], AAssociateRj['source'], AAssociateRj['reason']]
>;

export type Rejection = keyof typeof REJECTIONS;

/** The A-ASSOCIATE-RJ for `rejection`. */
export function associateRj(rejection: Rejection): AAssociateRj {
  const [result, source, reason] = REJECTIONS[rejection];
  return { type: 'A-ASSOCIATE-RJ', result, source, reason };
}

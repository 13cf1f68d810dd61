/**
 * User identity negotiation (PS3.7 D.3.3.7). The check itself (a password store, LDAP, a JWT
 * verifier) is the caller's, often asynchronous: it reads `userIdentityCredentials(rq)` and passes
 * its decision to `acceptContexts`, which stays pure.
 */
import type { AAssociateRq, UserIdentityRq } from '../pdu/index.js';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: false });

/** What the requestor presented, with user name and passcode decoded (UTF-8, PS3.7 Table D.3-14). */
export type UserIdentityCredentials =
  | { readonly type: 'username'; readonly username: string }
  | { readonly type: 'username-and-passcode'; readonly username: string; readonly passcode: string }
  | {
      readonly type: 'kerberos-service-ticket' | 'saml-assertion' | 'json-web-token' | 'unknown';
      readonly primaryField: Uint8Array;
      readonly secondaryField: Uint8Array;
    };

/** The authenticator's verdict. `serverResponse` is sent back when the requestor asked for it. */
export type UserIdentityDecision =
  | { readonly accepted: true; readonly serverResponse?: Uint8Array | undefined }
  | { readonly accepted: false };

/** A user identity sub-item for a user name, and a passcode if given (PS3.7 D.3.3.7.1). */
export function usernameIdentity(
  username: string,
  passcode?: string,
  positiveResponseRequested = false,
): UserIdentityRq {
  return {
    identityType: passcode === undefined ? 'username' : 'username-and-passcode',
    positiveResponseRequested,
    primaryField: utf8.encode(username),
    secondaryField: passcode === undefined ? new Uint8Array(0) : utf8.encode(passcode),
  };
}

/** The credentials of an A-ASSOCIATE-RQ, or undefined if it carries no user identity item. */
export function userIdentityCredentials(rq: AAssociateRq): UserIdentityCredentials | undefined {
  const identity = rq.userInformation.userIdentity;
  if (identity === undefined) return undefined;
  const { identityType, primaryField, secondaryField } = identity;
  switch (identityType) {
    case 'username':
      return { type: identityType, username: fromUtf8.decode(primaryField) };
    case 'username-and-passcode':
      return {
        type: identityType,
        username: fromUtf8.decode(primaryField),
        passcode: fromUtf8.decode(secondaryField),
      };
    case 'kerberos-service-ticket':
    case 'saml-assertion':
    case 'json-web-token':
      return { type: identityType, primaryField, secondaryField };
    default:
      return { type: 'unknown', primaryField, secondaryField };
  }
}

/**
 * The SOP classes and presentation contexts an SCU needs: Verification, the Query/Retrieve
 * information models (PS3.4 C.6) and the storage classes a C-GET receives (PS3.4 C.4.3).
 */
import { uidForKeyword } from '../../dicom/dictionary/index.js';
import {
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
} from '../../dicom/transfer-syntax.js';
import {
  MAX_PRESENTATION_CONTEXTS,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
  type ProposedContext,
  type ProposedRole,
} from '../negotiation/index.js';
import type { QueryOperation, QueryRoot } from './query-levels.js';

export {
  defaultRoot,
  QUERY_LEVELS,
  type QueryLevel,
  type QueryOperation,
  type QueryRoot,
} from './query-levels.js';

/** Verification SOP Class (PS3.4 A.4). */
export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/** PS3.4 C.6.1 (Patient Root) and C.6.2 (Study Root) information models. */
const QUERY_RETRIEVE_KEYWORDS: Readonly<Record<QueryRoot, Record<QueryOperation, string>>> = {
  patient: {
    find: 'PatientRootQueryRetrieveInformationModelFind',
    move: 'PatientRootQueryRetrieveInformationModelMove',
    get: 'PatientRootQueryRetrieveInformationModelGet',
  },
  study: {
    find: 'StudyRootQueryRetrieveInformationModelFind',
    move: 'StudyRootQueryRetrieveInformationModelMove',
    get: 'StudyRootQueryRetrieveInformationModelGet',
  },
};

/** The SOP Class UID of a Query/Retrieve information model and operation. */
export function queryRetrieveSopClass(root: QueryRoot, operation: QueryOperation): string {
  return uidForKeyword(QUERY_RETRIEVE_KEYWORDS[root][operation])!;
}

/** The root and operation of a Query/Retrieve SOP Class UID, if it is one of the six. */
export function queryModelOf(
  sopClassUid: string,
): { root: QueryRoot; operation: QueryOperation } | undefined {
  for (const root of ['patient', 'study'] as const) {
    for (const operation of ['find', 'move', 'get'] as const) {
      if (queryRetrieveSopClass(root, operation) === sopClassUid) return { root, operation };
    }
  }
  return undefined;
}

/** One context for a Query/Retrieve model, uncompressed (identifiers are small). */
export function queryContext(root: QueryRoot, operation: QueryOperation): ProposedContext {
  return {
    abstractSyntax: queryRetrieveSopClass(root, operation),
    transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES,
  };
}

export function verificationContext(): ProposedContext {
  return {
    abstractSyntax: VERIFICATION_SOP_CLASS,
    transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES,
  };
}

/** Image storage classes worth receiving compressed: they carry nearly all the pixel data. */
const IMAGE_STORAGE_KEYWORDS = [
  'CTImageStorage',
  'MRImageStorage',
  'ComputedRadiographyImageStorage',
  'DigitalXRayImageStorageForPresentation',
  'DigitalMammographyXRayImageStorageForPresentation',
  'UltrasoundImageStorage',
  'UltrasoundMultiFrameImageStorage',
  'SecondaryCaptureImageStorage',
  'XRayAngiographicImageStorage',
  'NuclearMedicineImageStorage',
  'PositronEmissionTomographyImageStorage',
  'EnhancedCTImageStorage',
];

/** Other storage classes a retrieval commonly meets; received uncompressed. */
const OTHER_STORAGE_KEYWORDS = [
  'EnhancedMRImageStorage',
  'BreastTomosynthesisImageStorage',
  'DigitalXRayImageStorageForProcessing',
  'DigitalMammographyXRayImageStorageForProcessing',
  'MultiFrameGrayscaleByteSecondaryCaptureImageStorage',
  'MultiFrameGrayscaleWordSecondaryCaptureImageStorage',
  'MultiFrameTrueColorSecondaryCaptureImageStorage',
  'MultiFrameSingleBitSecondaryCaptureImageStorage',
  'EnhancedXAImageStorage',
  'XRayRadiofluoroscopicImageStorage',
  'EnhancedPETImageStorage',
  'VLPhotographicImageStorage',
  'VLWholeSlideMicroscopyImageStorage',
  'RTImageStorage',
  'RTDoseStorage',
  'RTStructureSetStorage',
  'RTPlanStorage',
  'BasicTextSRStorage',
  'EnhancedSRStorage',
  'ComprehensiveSRStorage',
  'KeyObjectSelectionDocumentStorage',
  'XRayRadiationDoseSRStorage',
  'SegmentationStorage',
  'ParametricMapStorage',
  'EncapsulatedPDFStorage',
  'GrayscaleSoftcopyPresentationStateStorage',
  'RawDataStorage',
  'SpatialRegistrationStorage',
];

/**
 * Compressed syntaxes a C-GET proposes for image classes by default, each in a context of its
 * own, so that a peer can send each object in the syntax it holds it in (no transcoding on either
 * side; Orthanc without a J2K codec cannot transcode and fails the retrieval otherwise).
 */
const DEFAULT_COMPRESSED_KEYWORDS = [
  'JPEGBaseline8Bit',
  'JPEGExtended12Bit',
  'JPEGLosslessSV1',
  'JPEGLSLossless',
  'JPEG2000Lossless',
  'JPEG2000',
  'RLELossless',
];

/** What a C-GET requestor is ready to receive for one storage SOP class. */
export interface StorageAcceptance {
  readonly sopClassUid: string;
  readonly transferSyntaxes: readonly string[];
}

/** The default storage classes and syntaxes of a C-GET (fits in one association with its Q/R context). */
export function defaultStorageAcceptance(): StorageAcceptance[] {
  const uid = (keyword: string): string => uidForKeyword(keyword)!;
  const compressed = DEFAULT_COMPRESSED_KEYWORDS.map(uid);
  return [
    ...IMAGE_STORAGE_KEYWORDS.map((keyword) => ({
      sopClassUid: uid(keyword),
      transferSyntaxes: [...UNCOMPRESSED_TRANSFER_SYNTAXES, ...compressed],
    })),
    ...OTHER_STORAGE_KEYWORDS.map((keyword) => ({
      sopClassUid: uid(keyword),
      transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES,
    })),
  ];
}

const UNCOMPRESSED = new Set([EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN]);

/**
 * Presentation contexts and SCP role selections (PS3.7 D.3.3.4) for the storage sub-operations of
 * a C-GET: per SOP class one context with the uncompressed syntaxes it accepts, and one context
 * per other syntax. Throws a RangeError when they do not fit in `budget` contexts.
 */
export function storageContextsForGet(
  acceptance: readonly StorageAcceptance[],
  budget: number = MAX_PRESENTATION_CONTEXTS - 1,
): { contexts: ProposedContext[]; roles: ProposedRole[] } {
  const contexts: ProposedContext[] = [];
  const roles: ProposedRole[] = [];
  for (const { sopClassUid, transferSyntaxes } of acceptance) {
    const uncompressed = transferSyntaxes.filter((ts) => UNCOMPRESSED.has(ts));
    if (uncompressed.length > 0) {
      contexts.push({ abstractSyntax: sopClassUid, transferSyntaxes: uncompressed });
    }
    for (const ts of transferSyntaxes) {
      if (!UNCOMPRESSED.has(ts))
        contexts.push({ abstractSyntax: sopClassUid, transferSyntaxes: [ts] });
    }
    roles.push({ sopClassUid, scu: false, scp: true });
  }
  if (contexts.length > budget) {
    throw new RangeError(
      `${contexts.length} storage presentation contexts do not fit in one association (at most ${budget}); accept fewer SOP classes or transfer syntaxes`,
    );
  }
  return { contexts, roles };
}

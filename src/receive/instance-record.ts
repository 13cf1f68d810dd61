/**
 * What the index records of a stored object: its main attributes per level (patient, study,
 * series, instance), where it is, how it came, and the whole header (up to Pixel Data) in the
 * DICOM JSON model. Pure: a StoredInstance in, an InstanceRecord out.
 *
 * The header JSON keeps every attribute; a binary value over 1 KiB (a private CSA header, an
 * icon) is not copied into the database but referenced: its BulkDataURI is `?offset=N&length=M`,
 * a URI reference resolved against the instance's file (the byte range in that file). A deflated
 * data set has no such offsets in the file, so those values are left out there.
 */
import type { Dataset } from '../dicom/dataset.js';
import { dicomJsonText, toDicomJson, type DicomJsonDataset } from '../dicom/json.js';
import { makeTag, type Tag } from '../dicom/tag.js';
import { parseNumberStrings, readStrings } from '../dicom/values/index.js';
import type { InstanceRecord } from '../store/queries/index-instance.js';
import { JsonText } from '../store/queries/json.js';
import type { StoredInstance } from './instance-store.js';

const T = {
  PatientID: makeTag(0x0010, 0x0020),
  IssuerOfPatientID: makeTag(0x0010, 0x0021),
  PatientName: makeTag(0x0010, 0x0010),
  PatientBirthDate: makeTag(0x0010, 0x0030),
  PatientSex: makeTag(0x0010, 0x0040),
  StudyDate: makeTag(0x0008, 0x0020),
  StudyTime: makeTag(0x0008, 0x0030),
  AccessionNumber: makeTag(0x0008, 0x0050),
  StudyID: makeTag(0x0020, 0x0010),
  StudyDescription: makeTag(0x0008, 0x1030),
  ReferringPhysicianName: makeTag(0x0008, 0x0090),
  Modality: makeTag(0x0008, 0x0060),
  SeriesNumber: makeTag(0x0020, 0x0011),
  SeriesDescription: makeTag(0x0008, 0x103e),
  BodyPartExamined: makeTag(0x0018, 0x0015),
  SeriesDate: makeTag(0x0008, 0x0021),
  SeriesTime: makeTag(0x0008, 0x0031),
  StationName: makeTag(0x0008, 0x1010),
  Manufacturer: makeTag(0x0008, 0x0070),
  ManufacturerModelName: makeTag(0x0008, 0x1090),
  DeviceSerialNumber: makeTag(0x0018, 0x1000),
  InstitutionName: makeTag(0x0008, 0x0080),
  InstanceNumber: makeTag(0x0020, 0x0013),
  NumberOfSlices: makeTag(0x0054, 0x0081),
  NumberOfTimeSlices: makeTag(0x0054, 0x0101),
} as const;

/** The first value of a text element, or null when absent, empty or unreadable. */
function text(dataset: Dataset, tag: Tag): string | null {
  const element = dataset.get(tag);
  if (element?.kind !== 'value') return null;
  try {
    const value = readStrings(dataset, element)[0];
    return value === undefined || value === '' ? null : value;
  } catch {
    return null;
  }
}

/** All values of a text element joined with `\` (multi-valued PN, CS...), or null. */
function allText(dataset: Dataset, tag: Tag): string | null {
  const element = dataset.get(tag);
  if (element?.kind !== 'value') return null;
  try {
    const values = readStrings(dataset, element).filter((v) => v !== '');
    return values.length === 0 ? null : values.join('\\');
  } catch {
    return null;
  }
}

/** The first value of an IS/DS (or US...) element as an integer, or null. */
function integer(dataset: Dataset, tag: Tag): number | null {
  const element = dataset.get(tag);
  if (element?.kind !== 'value') return null;
  try {
    const [value] = parseNumberStrings(readStrings(dataset, element), 'IS', element);
    return value != null && Number.isSafeInteger(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * The number of instances a header announces for its series, when it does so reliably:
 * a PET series holds NumberOfSlices x NumberOfTimeSlices images (PS3.3 C.8.9.4, Image Index).
 * ImagesInAcquisition (0020,1002) is not used: it counts one acquisition, and a series may hold
 * several, so it would complete such a series early.
 */
export function expectedInstances(dataset: Dataset): number | null {
  if (text(dataset, T.Modality) !== 'PT') return null;
  const slices = integer(dataset, T.NumberOfSlices);
  if (slices === null || slices <= 0) return null;
  const times = integer(dataset, T.NumberOfTimeSlices);
  return slices * (times !== null && times > 0 ? times : 1);
}

/** VRs with a 4-byte length after two reserved bytes in explicit VR (PS3.5 7.1.2). */
const LONG_HEADER_VRS = new Set([
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SQ',
  'UC',
  'UN',
  'UR',
  'UT',
  'SV',
  'UV',
]);

/** The header in the DICOM JSON model, large binary values referenced in the file. */
export function headerJson(stored: StoredInstance, deflated: boolean): DicomJsonDataset {
  const base = stored.datasetOffset;
  return toDicomJson(stored.header, {
    bulkDataUri: (element) => {
      if (deflated || element.kind !== 'value') return undefined;
      if (element.bulk !== undefined) {
        return `?offset=${base + element.bulk.offset}&length=${element.bulk.length}`;
      }
      const wire = element.wireVR;
      const headerLength = wire !== undefined && LONG_HEADER_VRS.has(wire) ? 12 : 8;
      return `?offset=${base + element.offset + headerLength}&length=${element.length}`;
    },
  });
}

/** The index record of a stored object. */
export function instanceRecord(stored: StoredInstance, deflated: boolean): InstanceRecord {
  const h = stored.header;
  return {
    patientId: text(h, T.PatientID) ?? '',
    issuerOfPatientId: text(h, T.IssuerOfPatientID),
    patientName: allText(h, T.PatientName),
    patientBirthDate: text(h, T.PatientBirthDate),
    patientSex: text(h, T.PatientSex),
    studyInstanceUid: stored.studyInstanceUid,
    studyDate: text(h, T.StudyDate),
    studyTime: text(h, T.StudyTime),
    accessionNumber: text(h, T.AccessionNumber),
    studyId: text(h, T.StudyID),
    studyDescription: text(h, T.StudyDescription),
    referringPhysicianName: allText(h, T.ReferringPhysicianName),
    seriesInstanceUid: stored.seriesInstanceUid,
    modality: text(h, T.Modality),
    seriesNumber: integer(h, T.SeriesNumber),
    seriesDescription: text(h, T.SeriesDescription),
    bodyPartExamined: text(h, T.BodyPartExamined),
    seriesDate: text(h, T.SeriesDate),
    seriesTime: text(h, T.SeriesTime),
    stationName: text(h, T.StationName),
    manufacturer: text(h, T.Manufacturer),
    manufacturerModelName: text(h, T.ManufacturerModelName),
    deviceSerialNumber: text(h, T.DeviceSerialNumber),
    institutionName: text(h, T.InstitutionName),
    expectedInstances: expectedInstances(h),
    sopInstanceUid: stored.sopInstanceUid,
    sopClassUid: stored.sopClassUid,
    instanceNumber: integer(h, T.InstanceNumber),
    transferSyntaxUid: stored.transferSyntaxUid,
    callingAe: stored.callingAeTitle,
    receivedAt: stored.receivedAt,
    path: stored.relativePath,
    sizeBytes: stored.size,
    header: new JsonText(dicomJsonText(headerJson(stored, deflated))),
  };
}

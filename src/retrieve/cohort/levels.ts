/**
 * The Query/Retrieve level a key belongs to, after the Study Root information model's keys
 * (PS3.4 C.6.2.1.2, Table C.6-5 and C.6-6; patient attributes sit at the study level there) and
 * the series-level attributes of the General Series and General Equipment modules that PACS
 * commonly match on. A row that has a series-level key is queried, and retrieved, series by
 * series; any other key is a study-level key, as the original treated every attribute.
 */
export type CohortLevel = 'STUDY' | 'SERIES';

const SERIES_KEYWORDS: ReadonlySet<string> = new Set([
  'SeriesInstanceUID',
  'Modality',
  'SeriesNumber',
  'SeriesDescription',
  'SeriesDate',
  'SeriesTime',
  'BodyPartExamined',
  'ProtocolName',
  'Laterality',
  'PerformedProcedureStepStartDate',
  'PerformedProcedureStepStartTime',
  'PerformedProcedureStepDescription',
  'PerformedProcedureStepID',
  'OperatorsName',
  'PerformingPhysicianName',
  'NumberOfSeriesRelatedInstances',
  'StationName',
  'Manufacturer',
  'ManufacturerModelName',
  'DeviceSerialNumber',
  'InstitutionName',
  'InstitutionalDepartmentName',
]);

export function levelOfKeyword(keyword: string): CohortLevel {
  return SERIES_KEYWORDS.has(keyword) ? 'SERIES' : 'STUDY';
}

/**
 * Which attributes count as PHI in metadata.csv: the attributes the Basic Application Level
 * Confidentiality Profile (PS3.15 Annex E, Table E.1-1) removes, blanks or replaces, so that
 * metadata.csv written without `--phi` holds what a Basic-profile de-identified copy would keep.
 *
 * The table has several hundred rows; most fall under four rules this module applies by VR:
 *   - every Person Name (PN) is a name of a patient, physician, operator or author;
 *   - every date, time and date-time (DA, TM, DT) is removed or shifted by the profile (only the
 *     Retain Longitudinal Temporal Information option keeps them);
 *   - every instance-identifying UID (UI) is replaced (action U); class UIDs and transfer syntaxes
 *     identify nobody and stay;
 *   - every private attribute is removed (action X, unless the Retain Safe Private option).
 * The rest of the table (identifiers, addresses, free text, device and institution identity) is
 * the keyword list below. Pure.
 */
import { isPrivateTag, type Tag, type VR } from '../dicom/index.js';

/** PS3.15 Table E.1-1 attributes not covered by the VR rules (keywords as in PS3.6). */
export const PHI_KEYWORDS: ReadonlySet<string> = new Set([
  'AccessionNumber',
  'AcquisitionComments',
  'AcquisitionDeviceProcessingDescription',
  'AcquisitionProtocolDescription',
  'ActualHumanPerformersSequence',
  'AdditionalPatientHistory',
  'AdmissionID',
  'AdmittingDiagnosesCodeSequence',
  'AdmittingDiagnosesDescription',
  'Allergies',
  'AuthorObserverSequence',
  'BranchOfService',
  'CassetteID',
  'CommentsOnThePerformedProcedureStep',
  'ConfidentialityConstraintOnPatientDataDescription',
  'ContentCreatorIdentificationCodeSequence',
  'ContributionDescription',
  'CountryOfResidence',
  'CurrentPatientLocation',
  'CustodialOrganizationSequence',
  'DataSetTrailingPadding',
  'DerivationDescription',
  'DetectorID',
  'DeviceDescription',
  'DeviceLabel',
  'DeviceSerialNumber',
  'DigitalSignaturesSequence',
  'DischargeDiagnosisDescription',
  'DistributionAddress',
  'DistributionName',
  'EthnicGroup',
  'FillerOrderNumberImagingServiceRequest',
  'FrameComments',
  'GantryID',
  'GeneratorID',
  'GraphicAnnotationSequence',
  'HumanPerformerOrganization',
  'IconImageSequence',
  'IdentifyingComments',
  'ImageComments',
  'ImagePresentationComments',
  'ImagingServiceRequestComments',
  'Impressions',
  'InstitutionAddress',
  'InstitutionCodeSequence',
  'InstitutionName',
  'InstitutionalDepartmentName',
  'InsurancePlanIdentification',
  'IntendedRecipientsOfResultsIdentificationSequence',
  'InterpretationApproverSequence',
  'InterpretationAuthor',
  'InterpretationDiagnosisDescription',
  'InterpretationIDIssuer',
  'InterpretationRecorder',
  'InterpretationText',
  'InterpretationTranscriber',
  'IssuerOfAdmissionID',
  'IssuerOfPatientID',
  'IssuerOfServiceEpisodeID',
  'MedicalAlerts',
  'MedicalRecordLocator',
  'MilitaryRank',
  'ModifiedAttributesSequence',
  'ModifyingDeviceID',
  'ModifyingDeviceManufacturer',
  'NamesOfIntendedRecipientsOfResults',
  'Occupation',
  'OperatorIdentificationSequence',
  'OrderCallbackPhoneNumber',
  'OrderEnteredBy',
  'OrderEntererLocation',
  'OriginalAttributesSequence',
  'OtherPatientIDs',
  'OtherPatientIDsSequence',
  'OverlayComments',
  'ParticipantSequence',
  'PatientAddress',
  'PatientAge',
  'PatientComments',
  'PatientID',
  'PatientInstitutionResidence',
  'PatientInsurancePlanCodeSequence',
  'PatientPrimaryLanguageCodeSequence',
  'PatientReligiousPreference',
  'PatientSex',
  'PatientSexNeutered',
  'PatientSize',
  'PatientState',
  'PatientTelephoneNumbers',
  'PatientTransportArrangements',
  'PatientWeight',
  'PerformedLocation',
  'PerformedProcedureStepDescription',
  'PerformedProcedureStepID',
  'PerformedStationAETitle',
  'PerformedStationGeographicLocationCodeSequence',
  'PerformedStationName',
  'PerformedStationNameCodeSequence',
  'PerformingPhysicianIdentificationSequence',
  'PersonAddress',
  'PersonIdentificationCodeSequence',
  'PersonTelephoneNumbers',
  'PhysiciansOfRecordIdentificationSequence',
  'PhysiciansReadingStudyIdentificationSequence',
  'PlacerOrderNumberImagingServiceRequest',
  'PlateID',
  'PreMedication',
  'PregnancyStatus',
  'ProtocolName',
  'ReasonForStudy',
  'ReasonForTheImagingServiceRequest',
  'ReferencedDigitalSignatureSequence',
  'ReferencedPatientAliasSequence',
  'ReferencedPatientSequence',
  'ReferencedSOPInstanceMACSequence',
  'ReferringPhysicianAddress',
  'ReferringPhysicianIdentificationSequence',
  'ReferringPhysicianTelephoneNumbers',
  'RegionOfResidence',
  'RequestAttributesSequence',
  'RequestedContrastAgent',
  'RequestedProcedureComments',
  'RequestedProcedureDescription',
  'RequestedProcedureID',
  'RequestedProcedureLocation',
  'RequestingService',
  'ResponsibleOrganization',
  'ResponsiblePerson',
  'ResultsComments',
  'ResultsDistributionListSequence',
  'ResultsIDIssuer',
  'ScheduledHumanPerformersSequence',
  'ScheduledPatientInstitutionResidence',
  'ScheduledPerformingPhysicianIdentificationSequence',
  'ScheduledProcedureStepDescription',
  'ScheduledProcedureStepID',
  'ScheduledProcedureStepLocation',
  'ScheduledStationAETitle',
  'ScheduledStationGeographicLocationCodeSequence',
  'ScheduledStationName',
  'ScheduledStationNameCodeSequence',
  'ScheduledStudyLocation',
  'ScheduledStudyLocationAETitle',
  'SeriesDescription',
  'ServiceEpisodeDescription',
  'ServiceEpisodeID',
  'SmokingStatus',
  'SpecialNeeds',
  'StationName',
  'StudyComments',
  'StudyDescription',
  'StudyID',
  'StudyIDIssuer',
  'TextComments',
  'TextString',
  'TopicAuthor',
  'TopicKeywords',
  'TopicSubject',
  'TopicTitle',
  'VerifyingObserverIdentificationCodeSequence',
  'VerifyingObserverSequence',
  'VerifyingOrganization',
  'VisitComments',
]);

/**
 * UIDs that identify a kind of thing, not a patient's instance: they are kept (PS3.15 E.1-1 lists
 * only instance UIDs, with action U).
 */
function isClassUid(keyword: string): boolean {
  return (
    keyword.endsWith('ClassUID') ||
    keyword === 'TransferSyntaxUID' ||
    keyword === 'CodingSchemeUID' ||
    keyword === 'ContextGroupExtensionCreatorUID' ||
    keyword === 'MappingResourceUID' ||
    keyword === 'PrivateInformationCreatorUID'
  );
}

/** Whether an attribute is PHI under the Basic profile (see the module comment). */
export function isPhi(tag: Tag, vr: VR, keyword: string): boolean {
  if (isPrivateTag(tag)) return true;
  if (vr === 'PN' || vr === 'DA' || vr === 'TM' || vr === 'DT') return true;
  if (vr === 'UI') return !isClassUid(keyword);
  return PHI_KEYWORDS.has(keyword);
}

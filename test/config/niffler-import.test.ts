import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { importNifflerConfig } from '../../src/config/niffler-import.js';
import { validateConfig } from '../../src/config/validate.js';

/** The imported configuration must pass our schema as it is. */
function assertValid(input: unknown): void {
  const result = validateConfig(input, () => ({ kind: 'default' }));
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.problems, null, 2));
}

// The original's shipped files (modules/cold-extraction, modules/meta-extraction/service), with
// deployment values in place of the placeholders.
const SYSTEM_JSON = `{
	"DCM4CHEBin": "/opt/dcm4che-5.22.5/bin",
	"SrcAet": "MAIN_PACS@pacs.hospital.org:104",
	"QueryAet": "QBNIFFLER:4243",
	"DestAet": "QBNIFFLER",
	"NightlyOnly": true,
	"StartHour": 19,
	"EndHour": 7,
	"NifflerID": 1,
	"MaxNifflerProcesses": 1
}`;

const CONFIG_JSON = `{
	"NifflerSystem": "system.json",
	"StorageFolder": "/opt/data/new-study",
	"FilePath": "{00100020}/{0020000D}/{0020000E}/{00080018}.dcm",
	"CsvFile": "csv/empi.csv",
	"NumberOfQueryAttributes": 2,
	"FirstAttr": "PatientID",
	"FirstIndex": 0,
	"SecondAttr": "AccessionNumber",
	"SecondIndex": 5,
	"ThirdAttr": "StudyDate",
	"ThirdIndex": 3,
	"LongAccession": false,
	"DateFormat": "%m/%d/%Y",
	"SendEmail": true,
	"YourEmail": "researcher@hospital.org"
}`;

const META_SYSTEM_JSON = `{
	"DCM4CHEBin": "/opt/dcm4che-5.22.5/bin",
	"QueryAet": "RTNIFFLER:4242",
	"StorageFolder": "/opt/niffler-dicom-root",
	"FilePath": "{00100020}/{0020000D}/{0020000E}/{00080018}.dcm"
}`;

describe('importNifflerConfig', () => {
  test('cold-extraction system.json + config.json', () => {
    const { config, warnings } = importNifflerConfig({
      system: JSON.parse(SYSTEM_JSON),
      config: JSON.parse(CONFIG_JSON),
    });
    assert.deepEqual(config, {
      storage: {
        root: '/opt/data/new-study',
        pathTemplate: '{00100020}/{0020000D}/{0020000E}/{00080018}.dcm',
      },
      retrieve: {
        ourAeTitle: 'QBNIFFLER',
        ourPort: 4243,
        pacs: {
          pacs: {
            aeTitle: 'MAIN_PACS',
            host: 'pacs.hospital.org',
            port: 104,
            window: '19:00-07:00',
            maxConcurrent: 1,
          },
        },
        csv: {
          columnMap: { '#0': 'PatientID', '#5': 'AccessionNumber' },
          unmappedColumns: 'ignore',
          longAccession: false,
          dateFormat: '%m/%d/%Y',
        },
      },
      smtp: {
        host: 'localhost',
        port: 25,
        from: 'niffler@localhost',
        to: ['researcher@hospital.org'],
      },
    });
    assertValid(config);
    // One warning per key without an equivalent, plus the e-mail note.
    const keys = warnings.map((w) => /^[^:]+: ([^:]+):/.exec(w)?.[1]);
    assert.deepEqual(keys.sort(), [
      'CsvFile',
      'DCM4CHEBin',
      'NifflerID',
      'NifflerSystem',
      'SendEmail',
    ]);
    assert.ok(
      warnings.every((w) => /^(system|config)\.json: /.test(w)),
      warnings.join('\n'),
    );
  });

  test('with the CSV header, columns are named by header', () => {
    const { config } = importNifflerConfig({
      config: JSON.parse(CONFIG_JSON),
      csvHeader: ['EMPI', 'Name', 'Sex', 'Date', 'Site', 'Accession'],
    });
    assert.deepEqual(config.retrieve?.csv?.columnMap, {
      EMPI: 'PatientID',
      Accession: 'AccessionNumber',
    });
  });

  test('meta-extraction system.json: the receiver, and the nightly deletion made explicit', () => {
    const { config, warnings } = importNifflerConfig({ metaSystem: JSON.parse(META_SYSTEM_JSON) });
    assert.deepEqual(config, {
      dicom: { aeTitle: 'RTNIFFLER', port: 4242 },
      storage: {
        root: '/opt/niffler-dicom-root',
        pathTemplate: '{00100020}/{0020000D}/{0020000E}/{00080018}.dcm',
      },
      retention: { policy: 'nightly', nightlyAt: '23:59' },
    });
    assertValid(config);
    assert.match(warnings.join('\n'), /DCM4CHEBin: no equivalent/);
    assert.match(warnings.join('\n'), /retention\.policy is set to "nightly"/);
    assert.match(warnings.join('\n'), /featuresets\.directory/);
  });

  test('all three files: one store, the receiver wins, the difference is reported', () => {
    const { config, warnings } = importNifflerConfig({
      system: JSON.parse(SYSTEM_JSON),
      config: JSON.parse(CONFIG_JSON),
      metaSystem: JSON.parse(META_SYSTEM_JSON),
    });
    assert.equal(config.storage?.root, '/opt/niffler-dicom-root');
    assert.match(warnings.join('\n'), /config\.json: StorageFolder: Niffler has one store/);
    assertValid(config);
  });

  test('the older config.json form (ExtractionType)', () => {
    const { config, warnings } = importNifflerConfig({
      config: {
        ExtractionType: 'empi_date',
        PatientIndex: 0,
        AccessionIndex: 1,
        DateIndex: 2,
        DateType: 'AcquisitionDate',
        DateFormat: '%Y%m%d',
      },
    });
    assert.deepEqual(config.retrieve?.csv?.columnMap, {
      '#0': 'PatientID',
      '#2': 'AcquisitionDate',
    });
    assert.match(warnings.join('\n'), /AccessionIndex: not used by this ExtractionType/);
    assertValid(config);
  });

  test('what does not convert is reported, not guessed', () => {
    const { config, warnings } = importNifflerConfig({
      system: {
        SrcAet: 'not an address',
        QueryAet: 'QB:4243',
        DestAet: 'OTHER_AE',
        NightlyOnly: 'false',
        StartHour: 19,
        EndHour: 7,
        Unexpected: 1,
      },
      config: {
        FilePath: 'CFIND-DETAILED',
        NumberOfQueryAttributes: 5,
        FirstAttr: 'AccessionNumber',
        FirstIndex: 2,
        SendEmail: 'false',
        DateFormat: '%Y%m%d %H:%M',
      },
    });
    const text = warnings.join('\n');
    assert.match(text, /system\.json: SrcAet: expected AET@HOST:PORT/);
    assert.match(text, /system\.json: DestAet: OTHER_AE is not QueryAet's AE title/);
    assert.match(text, /system\.json: StartHour\/EndHour: ignored, as in the original/);
    assert.match(text, /system\.json: Unexpected: unknown key/);
    assert.match(text, /config\.json: FilePath: CFIND-DETAILED is a kind of run/);
    assert.match(text, /config\.json: NumberOfQueryAttributes: 5 is not 1, 2 or 3/);
    assert.match(text, /config\.json: DateFormat: unsupported directive "%H"/);
    assert.equal(config.retrieve?.pacs, undefined);
    assert.equal(config.retrieve?.destinationAeTitle, 'OTHER_AE');
    assert.equal(config.retrieve?.emailOnCompletion, false); // "false" read as false, unlike argparse
    assert.deepEqual(config.retrieve?.csv?.columnMap, { '#2': 'AccessionNumber' });
    assert.equal(config.storage, undefined);
    assertValid(config);
  });

  test('a placeholder e-mail and a template without the instance UID are not carried over', () => {
    const { config, warnings } = importNifflerConfig({
      config: {
        SendEmail: true,
        YourEmail: 'test@test.test',
        FilePath: '{00100020}/{0020000D}.dcm',
      },
    });
    assert.equal(config.smtp, undefined);
    assert.equal(config.storage, undefined);
    assert.match(warnings.join('\n'), /YourEmail: "test@test\.test" is the original's placeholder/);
    assert.match(warnings.join('\n'), /FilePath: .*SOP Instance UID.*default template is used/);
  });

  test('nothing given: nothing converted', () => {
    assert.deepEqual(importNifflerConfig({}), { config: {}, warnings: [] });
    assert.deepEqual(importNifflerConfig({ system: [1] }).warnings, [
      'system.json: not a JSON object; ignored',
    ]);
  });
});

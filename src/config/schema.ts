// The configuration schema: every key, its type, its default and its description, in one place.
// docs/configuration.md is generated from it (`npx tsx scripts/config-docs.ts`).
//
// Conventions: camelCase keys; every object is strict (an unknown key is an error); `null` means
// "not set" where a key is optional, so that every key is present in the loaded configuration;
// durations are in seconds and named so (`...Seconds`). Checks that span several keys of one
// section are `superRefine`s on that section, so that they still run when another section has
// errors and every problem is reported at once.
import * as z from 'zod';
import {
  aeTitle,
  byteSize,
  count,
  dateFormat,
  emailAddress,
  filePath,
  host,
  keyMetaRegistry,
  keyword,
  listenPort,
  pathTemplate,
  peerShorthand,
  percent,
  port,
  postgresUrl,
  secretText,
  timeOfDay,
  timeWindow,
  timeZone,
  uid,
} from './fields.js';
import { isLoopbackHost } from './values.js';

const seconds = (): z.ZodNumber => z.number().positive().max(1e9);

/**
 * A secret and the key that names a file holding it: `<name>` and `<name>File`. Where the value
 * is finally taken from (environment, file, config) is decided by secrets.ts before validation;
 * what the schema sees is the value, or null.
 */
function secret<N extends string>(
  name: N,
  what: string,
  minLength = 1,
): Record<N, z.ZodDefault<z.ZodNullable<z.ZodString>>> &
  Record<`${N}File`, z.ZodDefault<z.ZodNullable<z.ZodString>>> {
  return {
    [name]: secretText(minLength)
      .nullable()
      .default(null)
      .describe(
        `${what} A secret: prefer the environment variable or \`${name}File\`; a value written ` +
          'in the config file is accepted with a warning.',
      ),
    [`${name}File`]: filePath()
      .nullable()
      .default(null)
      .describe(
        `A file holding ${name} (for example a Docker or Kubernetes secret); one trailing ` +
          'newline is ignored.',
      ),
  } as Record<N, z.ZodDefault<z.ZodNullable<z.ZodString>>> &
    Record<`${N}File`, z.ZodDefault<z.ZodNullable<z.ZodString>>>;
}

// ---------------------------------------------------------------------------------------------
// Shared shapes
// ---------------------------------------------------------------------------------------------

const allowedPeer = z.strictObject({
  aeTitle: aeTitle().describe('Calling AE title the peer must use.'),
  host: host()
    .nullable()
    .default(null)
    .describe('Host name or IP address the peer must connect from; null = any address.'),
});

const allowedPeers = (whom: string): z.ZodDefault<z.ZodNullable<z.ZodArray<typeof allowedPeer>>> =>
  z.array(allowedPeer).nullable().default(null).describe(whom);

const serverTls = z.strictObject({
  certFile: filePath().describe('PEM certificate (chain) presented to peers.'),
  keyFile: filePath().describe('PEM private key of certFile.'),
  caFile: filePath()
    .nullable()
    .default(null)
    .describe(
      'PEM CA bundle. When set, peers must present a certificate it signs (mutual TLS); ' +
        'null = peers are not asked for a certificate.',
    ),
});

const clientTls = z
  .strictObject({
    caFile: filePath()
      .nullable()
      .default(null)
      .describe("PEM CA bundle that signs the peer's certificate; null = the system's CAs."),
    certFile: filePath()
      .nullable()
      .default(null)
      .describe('PEM client certificate, when the peer asks for one (mutual TLS).'),
    keyFile: filePath().nullable().default(null).describe('PEM private key of certFile.'),
  })
  .superRefine((tls, ctx) => {
    if ((tls.certFile === null) !== (tls.keyFile === null)) {
      ctx.addIssue({
        code: 'custom',
        path: [tls.certFile === null ? 'certFile' : 'keyFile'],
        message: 'certFile and keyFile go together: give both or neither',
      });
    }
  });

const clientTlsOption = (): z.ZodDefault<z.ZodNullable<typeof clientTls>> =>
  clientTls
    .nullable()
    .default(null)
    .describe('TLS towards this peer (`{}` = TLS with the system CAs); null = plain TCP.');

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

const moveDestination = z
  .strictObject({
    host: host().describe('Host the C-STORE sub-operations connect to.'),
    port: port().describe('Port of that host.'),
    tls: clientTlsOption(),
  })
  .describe('Where the images for this AE title are sent.');

const queryRetrieve = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Answer C-FIND, C-MOVE and C-GET on the stored images (Query/Retrieve SCP).'),
    allowedPeers: allowedPeers(
      'Peers allowed to query and retrieve (C-FIND, C-MOVE, C-GET), a list of { aeTitle, host }; ' +
        'null = the peers dicom.allowedPeers lists, and nobody when that is null too: the index ' +
        'holds patient data, so it is never open to any peer by default. Others get "Refused: ' +
        'Not Authorized" (0124).',
    ),
    moveDestinations: z
      .record(aeTitle(), moveDestination)
      .default({})
      .describe(
        'C-MOVE destinations by AE title: where to send images a peer asks to move. A C-MOVE ' +
          'to an AE title not listed here is refused (PS3.4 C.4.2.1.2: "Move Destination ' +
          'Unknown").',
      ),
  })
  .prefault({})
  .describe('Query/Retrieve service on the images Niffler has stored.');

const dicom = z
  .strictObject({
    aeTitle: aeTitle().default('NIFFLER').describe('Our AE title, the called AE title peers use.'),
    host: host()
      .default('0.0.0.0')
      .describe('Address the DICOM listener binds to; 0.0.0.0 = every IPv4 interface.'),
    port: listenPort()
      .default(11112)
      .describe('TCP port of the DICOM listener (with tls set, it speaks DICOM over TLS).'),
    allowedPeers: allowedPeers(
      'Peers allowed to associate: a list of { aeTitle, host }; null = any peer. An association ' +
        'from anyone else is rejected (A-ASSOCIATE-RJ, calling AE title not recognised).',
    ),
    acceptAnyCalledAeTitle: z
      .boolean()
      .default(false)
      .describe(
        'Accept associations whatever called AE title they use; false = only dicom.aeTitle ' +
          '(others are rejected: called AE title not recognised).',
      ),
    maxAssociations: count(1, 10_000)
      .default(32)
      .describe(
        'Associations served at once; more are rejected (transient, local limit exceeded).',
      ),
    maxPduLength: count(4096, 64 * 2 ** 20)
      .default(262_144)
      .describe(
        'Largest PDU we accept, in bytes (PS3.8 D.1, Maximum Length Sub-Item). It also bounds the ' +
          'memory one association uses.',
      ),
    idleTimeoutSeconds: seconds()
      .default(60)
      .describe('An association that sends nothing for this long is aborted.'),
    associationTimeoutSeconds: seconds()
      .default(30)
      .describe(
        'Time allowed to complete association set-up or release (the ARTIM timer, PS3.8 9.1.5).',
      ),
    transferSyntaxes: z
      .array(uid())
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'Transfer syntax UIDs we accept, in order of preference; null = every one a peer offers ' +
          'that we can store.',
      ),
    sopClasses: z
      .array(uid())
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'SOP class UIDs we accept for storage; null = every one, unknown and private classes ' +
          'included.',
      ),
    tls: serverTls
      .nullable()
      .default(null)
      .describe('DICOM over TLS on dicom.port (PS3.15 B.1); null = plain TCP.'),
    queryRetrieve,
  })
  .prefault({})
  .describe('The DICOM listener: storage (C-STORE), verification (C-ECHO), query/retrieve.');

const storage = z
  .strictObject({
    root: filePath()
      .default('./niffler-data')
      .describe('Directory the received images are stored under. Created when missing.'),
    pathTemplate: pathTemplate()
      .default('{00100020}/{0020000D}/{0020000E}/{00080018}.dcm')
      .describe(
        "Where an instance is stored under root: the original Niffler's FilePath syntax, each " +
          '{...} an 8-hex-digit tag ({0020000D}) or a keyword ({StudyInstanceUID}). Values are ' +
          'sanitised so that they can never leave root. It must contain the SOP Instance UID.',
      ),
    duplicates: z
      .enum(['keep-first', 'replace', 'keep-both'])
      .default('keep-first')
      .describe(
        'An instance whose SOP Instance UID is already stored: keep-first = acknowledge and ' +
          'discard the new copy; replace = store the new copy in its place; keep-both = keep ' +
          'both files.',
      ),
    fsync: z
      .boolean()
      .default(true)
      .describe(
        'Flush each file and its directory to disk before acknowledging it. Turning it off ' +
          'is faster and can lose acknowledged images on a power failure.',
      ),
    highWatermarkPercent: percent()
      .default(85)
      .describe(
        'Disk use at which retention (any policy but none) starts deleting the oldest processed ' +
          'series, until use is below it again.',
      ),
    hardLimitPercent: percent()
      .default(95)
      .describe('Disk use at which new images are refused (out of resources status).'),
    minFreeBytes: byteSize()
      .default(2 ** 30)
      .describe(
        'Free space below which new images are refused, whatever the percentages say ' +
          '(default 1 GiB). A number of bytes or a size such as 512MB or 10GiB.',
      ),
  })
  .superRefine((s, ctx) => {
    if (s.highWatermarkPercent >= s.hardLimitPercent) {
      ctx.addIssue({
        code: 'custom',
        path: ['highWatermarkPercent'],
        message: `must be below hardLimitPercent (${s.hardLimitPercent})`,
      });
    }
  })
  .prefault({})
  .describe('The file store.');

const database = z
  .strictObject({
    url: postgresUrl()
      .nullable()
      .default(null)
      .describe(
        'PostgreSQL connection URL (postgres://user@host:5432/niffler); null = a SQLite file, ' +
          'index.sqlite in storage.root. Also NIFFLER_DATABASE_URL.',
      ),
    ...secret('password', 'PostgreSQL password, when the URL carries none.'),
  })
  .prefault({})
  .describe('The index database: SQLite by default, PostgreSQL to scale out.');

const featuresets = z
  .strictObject({
    builtin: z
      .boolean()
      .default(true)
      .describe(
        "Extract the original Niffler's four default featuresets (featureset, featureset1, " +
          'featureset2, featureset3: featuresets/ in the package). A file of the same name in ' +
          'directory or files replaces one of them.',
      ),
    directory: filePath()
      .nullable()
      .default(null)
      .describe(
        "A directory of featureset files, the original Niffler's conf/*.txt: each *.txt file " +
          'is one featureset named after the file, one keyword or tag per line.',
      ),
    files: z
      .array(filePath())
      .default([])
      .describe('Featureset files, in addition to those in directory.'),
    mode: z
      .enum(['series', 'instance'])
      .default('series')
      .describe(
        'series = one document per series, from its first instance (as the original); ' +
          'instance = one per instance.',
      ),
  })
  .prefault({})
  .describe('Metadata extraction: which attributes become documents.');

const completion = z
  .strictObject({
    quietSeconds: seconds()
      .default(60)
      .describe('A series is complete once no instance of it has arrived for this long.'),
    useExpectedCounts: z
      .boolean()
      .default(true)
      .describe(
        'Also complete a series as soon as the number of instances the headers or the PACS ' +
          'announce has arrived.',
      ),
  })
  .prefault({})
  .describe('When a series counts as complete (and its pipelines run).');

const jobs = z
  .strictObject({
    maxAttempts: count(1, 1000)
      .default(5)
      .describe('Attempts of a failing job before it is marked failed.'),
    backoffSeconds: seconds()
      .default(30)
      .describe('Wait before the first retry; it doubles at each further attempt.'),
    backoffMaxSeconds: seconds().default(3600).describe('Longest wait between two attempts.'),
  })
  .superRefine((j, ctx) => {
    if (j.backoffMaxSeconds < j.backoffSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['backoffMaxSeconds'],
        message: `must be at least backoffSeconds (${j.backoffSeconds})`,
      });
    }
  })
  .prefault({})
  .describe('The job queue (metadata extraction, pipelines, retrieval rows).');

const retention = z
  .strictObject({
    policy: z
      .enum(['none', 'nightly', 'age', 'watermark'])
      .default('none')
      .describe(
        'Deleting stored image files (index rows stay): none = never; nightly = at nightlyAt, ' +
          "the files of every complete and processed series (the original's meta-extraction); " +
          'age = those completed more than maxAgeDays ago; watermark = only the oldest processed ' +
          'series while disk use is above storage.highWatermarkPercent. With nightly and age, a ' +
          'disk above the watermark is also purged at once, oldest first. A series is never ' +
          'purged while open or while it has a job that is not done.',
      ),
    nightlyAt: timeOfDay()
      .default('23:59')
      .describe("Time of the nightly deletion (the original's 23:59)."),
    timezone: timeZone()
      .nullable()
      .default(null)
      .describe('Time zone of nightlyAt and of retrieval windows; null = the system time zone.'),
    maxAgeDays: z
      .number()
      .positive()
      .nullable()
      .default(null)
      .describe('Age, in days since it was received, at which the age policy deletes a series.'),
  })
  .superRefine((r, ctx) => {
    if (r.policy === 'age' && r.maxAgeDays === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxAgeDays'],
        message: 'required when policy is "age"',
      });
    }
  })
  .prefault({})
  .describe('What is deleted from the file store, and when.');

const http = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Serve the HTTP status page, API and metrics.'),
    host: host()
      .default('127.0.0.1')
      .describe('Address the HTTP server binds to. Any address but loopback needs authToken.'),
    port: listenPort().default(8080).describe('TCP port of the HTTP server.'),
    ...secret(
      'authToken',
      'Bearer token HTTP clients must send (Authorization: Bearer ...), at least 16 ' +
        'characters. Required when host is not a loopback address; with a loopback host and ' +
        'no token, the API is open to local users.',
      16,
    ),
  })
  .superRefine((h, ctx) => {
    if (h.enabled && h.authToken === null && !isLoopbackHost(h.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['authToken'],
        message:
          `required when http.host (${h.host}) is not a loopback address: set ` +
          'NIFFLER_SECRET_HTTP_AUTH_TOKEN or http.authTokenFile',
      });
    }
  })
  .prefault({})
  .describe('HTTP status, API, dashboard and Prometheus metrics (/metrics).');

const logging = z
  .strictObject({
    level: z
      .enum(['trace', 'debug', 'info', 'warn', 'error'])
      .default('info')
      .describe('Least severe level written.'),
    format: z
      .enum(['json', 'pretty'])
      .default('json')
      .describe('json = one JSON object per line; pretty = for a terminal.'),
    includePhi: z
      .boolean()
      .default(false)
      .describe(
        'Write patient identifiers and other PHI (names, IDs, accession numbers) into logs; ' +
          'false = they are replaced by a short hash.',
      ),
  })
  .prefault({})
  .describe('Logs (written to standard error).');

const pacsName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a PACS name uses letters, digits, ".", "_" and "-"')
  .register(keyMetaRegistry, { type: 'name' });

/** The settings of a PACS named only by AET@HOST:PORT on the command line. */
export const PACS_DEFAULTS = { maxConcurrent: 2, studiesPerRequest: 16 } as const;

const pacsPeer = z
  .strictObject(
    {
      aeTitle: aeTitle().describe("The PACS's AE title (the called AE title)."),
      host: host().describe('Host name or IP address of the PACS.'),
      port: port().describe('DICOM port of the PACS.'),
      tls: clientTlsOption(),
      maxConcurrent: count(1, 64)
        .default(PACS_DEFAULTS.maxConcurrent)
        .describe('Associations to this PACS at once (C-FIND and C-MOVE/C-GET together).'),
      studiesPerRequest: count(1, 100)
        .default(PACS_DEFAULTS.studiesPerRequest)
        .describe(
          'Studies named in one C-MOVE or C-GET, as a list of StudyInstanceUIDs (PS3.4 ' +
            'C.4.2.2.1); 1 = one study per request. Fewer requests, fewer associations back to ' +
            'us. A study a list left incomplete is asked for again on its own; a PACS that ' +
            'answers a list with nothing is asked one study at a time. Used when the images ' +
            'come to us (not with another C-MOVE destination).',
        ),
      maxPerMinute: count(1)
        .nullable()
        .default(null)
        .describe('Requests (C-FIND, C-MOVE, C-GET) sent per minute at most; null = no limit.'),
      window: timeWindow()
        .nullable()
        .default(null)
        .describe(
          'Daily window in which requests are sent, HH:MM-HH:MM in retention.timezone; it may ' +
            'span midnight (19:00-07:00). Requests in flight finish; the rest wait for the next ' +
            'window. null = at any time.',
        ),
    },
    {
      error: (issue) =>
        issue.code === 'invalid_type'
          ? 'expected "AET@HOST:PORT" or an object { aeTitle, host, port }'
          : undefined,
    },
  )
  .describe('A PACS: an object with the keys below, or the string AET@HOST:PORT.');

const csv = z
  .strictObject({
    columnMap: z
      .record(z.string().min(1), keyword())
      .default({})
      .describe(
        'Cohort CSV column -> DICOM keyword it holds, e.g. { EMPI: PatientID, "Accession #": ' +
          'AccessionNumber }. A column is named by its header, or by #0, #1, ... for its ' +
          "position (the original's FirstIndex...). Columns not listed: see unmappedColumns.",
      ),
    unmappedColumns: z
      .enum(['keywords', 'ignore'])
      .default('keywords')
      .describe(
        'Columns not in columnMap: keywords = a column headed by a DICOM keyword (PatientID, ' +
          'StudyDate) or StudyMonth is a query key; ignore = only the mapped columns are keys ' +
          '(the original used only the columns its config named).',
      ),
    dateFormat: dateFormat()
      .default('%Y%m%d')
      .describe(
        "strptime format of date columns (StudyDate...), as the original's DateFormat " +
          '(%Y%m%d, %m/%d/%Y, %Y-%m-%d).',
      ),
    longAccession: z
      .boolean()
      .default(false)
      .describe(
        "The original's LongAccession: accession numbers longer than 16 characters lose " +
          'their characters 8 and 9 (YYYY -> YY) before querying.',
      ),
  })
  .prefault({})
  .describe('How cohort CSV files are read.');

const retrieve = z
  .strictObject({
    pacs: z
      .record(pacsName, peerShorthand(pacsPeer))
      .default({})
      .describe(
        'PACS to retrieve from, by a name of our choosing. Each is an object, or the ' +
          "original's SrcAet string AET@HOST:PORT.",
      ),
    defaultPacs: z
      .string()
      .nullable()
      .default(null)
      .describe('The PACS used when a retrieval names none; null = the only one configured.'),
    ourAeTitle: aeTitle()
      .default('NIFFLER')
      .describe("Calling AE title of our requests (the original's QueryAet)."),
    ourPort: listenPort()
      .nullable()
      .default(null)
      .describe(
        'Port of a separate listener for the images a C-MOVE sends us; null = they arrive at ' +
          'the receiver (dicom.port). The PACS maps ourAeTitle to one address: a separate port ' +
          'wants its own AE title.',
      ),
    destinationAeTitle: aeTitle()
      .nullable()
      .default(null)
      .describe(
        "C-MOVE destination (the original's DestAet); null = ourAeTitle. Another AE title " +
          'sends the images to another system.',
      ),
    mode: z
      .enum(['move', 'get'])
      .default('move')
      .describe(
        'move = C-MOVE (the PACS opens an association back to us); get = C-GET (the images ' +
          'come back on our association: no route from the PACS to us needed).',
      ),
    emailOnCompletion: z
      .boolean()
      .default(true)
      .describe("E-mail smtp.to when a retrieval ends, if smtp is set (the original's SendEmail)."),
    csv,
  })
  .superRefine((r, ctx) => {
    if (r.defaultPacs !== null && !(r.defaultPacs in r.pacs)) {
      const names = Object.keys(r.pacs);
      ctx.addIssue({
        code: 'custom',
        path: ['defaultPacs'],
        message:
          `"${r.defaultPacs}" is not a name in retrieve.pacs` +
          (names.length > 0 ? ` (${names.join(', ')})` : ' (none configured)'),
      });
    }
  })
  .prefault({})
  .describe('Retrieving cohorts from a PACS (niffler retrieve).');

const smtp = z
  .strictObject({
    host: host().nullable().default(null).describe('SMTP server; null = no e-mail is sent.'),
    port: port().default(587).describe('SMTP port: 587 (submission), 465 with secure, 25.'),
    secure: z
      .boolean()
      .default(false)
      .describe(
        'true = TLS from the start (port 465); false = STARTTLS when the server offers it.',
      ),
    from: emailAddress().nullable().default(null).describe('Sender address.'),
    to: z.array(emailAddress()).default([]).describe('Recipients.'),
    username: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe('SMTP login; null = no authentication.'),
    ...secret('password', 'SMTP password.'),
  })
  .superRefine((s, ctx) => {
    if (s.host === null) return;
    if (s.from === null) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'required when smtp.host is set' });
    }
    if (s.to.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'required when smtp.host is set' });
    }
  })
  .prefault({})
  .describe('E-mail notifications (end of a retrieval).');

const exportSection = z
  .strictObject({
    ...secret(
      'pseudonymKey',
      'HMAC key of the keyed pseudonyms that name exported folders and files (niffler export) ' +
        'and that de-identification writes, at least 16 characters. Required by export: there ' +
        'is no default. The same key gives the same pseudonyms; whoever has it can test a ' +
        'guessed identifier, so keep it out of the output folder.',
      16,
    ),
  })
  .prefault({})
  .describe('Export and de-identification.');

/** The whole configuration. */
export const configSchema = z
  .strictObject({
    dicom,
    storage,
    database,
    featuresets,
    completion,
    jobs,
    retention,
    http,
    logging,
    retrieve,
    smtp,
    export: exportSection,
  })
  .superRefine((c, ctx) => {
    // Checks across sections; they run once every section is valid on its own.
    const { dicom: d, http: h, retrieve: r } = c;
    if (r.ourPort !== null && r.ourPort !== 0 && r.ourPort === d.port) {
      ctx.addIssue({
        code: 'custom',
        path: ['retrieve', 'ourPort'],
        message: `is dicom.port (${d.port}): set it to null to receive at the DICOM listener`,
      });
    }
    if (h.enabled && h.port !== 0 && h.port === d.port) {
      ctx.addIssue({
        code: 'custom',
        path: ['http', 'port'],
        message: `is dicom.port (${d.port}): the two listeners need different ports`,
      });
    }
  })
  .describe('Niffler configuration.');

/** The configuration as written (every key optional). */
export type ConfigInput = z.input<typeof configSchema>;
/** The configuration after validation, defaults applied (before freezing). */
export type ConfigOutput = z.output<typeof configSchema>;

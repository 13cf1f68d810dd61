// The network commands' flags as commander declares and parses them: peers, ports, the SCU
// options and the query options. Only commander and constants: program() loads this module to
// build the command tree, so it must not load the network stack. When a command runs,
// actions/net.ts turns the parsed flags into client and server options.
import { InvalidArgumentError, type Command } from 'commander';
import { QUERY_LEVELS, type QueryLevel, type QueryRoot } from '../net/services/query-levels.js';

/** A parser of an integer option value from `min` to `max`; `what` names it in the error. */
export function parseIntegerIn(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`'${value}' is not ${what} (${min}-${max})`);
    }
    return n;
  };
}

export const parsePort = parseIntegerIn(0, 65535, 'a TCP port');

export interface PeerAddress {
  readonly aeTitle: string;
  readonly host: string;
  readonly port: number;
}

/** `AET@HOST:PORT`, as the CLI names a remote application entity. */
export function parsePeer(value: string): PeerAddress {
  const match = /^([^@]{1,16})@(\[[^\]]+\]|[^:@]+):(\d{1,5})$/.exec(value);
  if (match === null) throw new InvalidArgumentError(`'${value}' is not AET@HOST:PORT`);
  return {
    aeTitle: match[1]!,
    host: match[2]!.replace(/^\[|\]$/g, ''),
    port: parsePort(match[3]!),
  };
}

// --- SCU commands (echo, send, find, move, get) ------------------------------------------------

/** The options every SCU command shares, as commander parses them. */
export interface ScuCliOptions {
  aet: string;
  maxPdu: number;
  connectTimeout: number;
  acseTimeout: number;
  dimseTimeout: number;
  tls?: boolean;
  tlsCa?: string;
  tlsKey?: string;
  tlsCert?: string;
  tlsServername?: string;
}

/** A positive integer option value. */
export function parsePositiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a number`);
  return n;
}

/** Adds our AE title, PDU size, the three timeouts (in seconds, as DCMTK's -to/-ta/-td) and TLS. */
export function addScuOptions(command: Command): Command {
  return command
    .option('--aet <title>', 'our (calling) AE title', 'NIFFLER')
    .option('--max-pdu <bytes>', 'our maximum PDU length', parsePositiveInteger, 262144)
    .option(
      '--connect-timeout <s>',
      'TCP connect and TLS handshake timeout',
      parsePositiveInteger,
      30,
    )
    .option(
      '--acse-timeout <s>',
      'timeout for association answers (A-ASSOCIATE, A-RELEASE)',
      parsePositiveInteger,
      30,
    )
    .option(
      '--dimse-timeout <s>',
      'abort when a response takes longer (C-MOVE/C-GET: between responses); 0 waits for ever',
      parsePositiveInteger,
      600,
    )
    .option('--tls', 'use TLS (the peer certificate is checked against the system CAs or --tls-ca)')
    .option(
      '--tls-ca <file>',
      'CA certificates (PEM) to trust for the peer certificate; implies --tls',
    )
    .option('--tls-key <file>', 'our private key (PEM) for mutual TLS; implies --tls')
    .option('--tls-cert <file>', 'our certificate (PEM) for mutual TLS; implies --tls')
    .option(
      '--tls-servername <name>',
      'the name the peer certificate must carry (default: the host)',
    );
}

// --- Query options (find, move, get) ----------------------------------------------------------

/** The options of the commands that send an identifier. */
export interface QueryCliOptions {
  from: PeerAddress;
  level: QueryLevel;
  root?: QueryRoot;
  key: string[];
}

export function parseLevel(value: string): QueryLevel {
  const level = value.toUpperCase();
  if (!(QUERY_LEVELS as readonly string[]).includes(level)) {
    throw new InvalidArgumentError(`'${value}' is not one of ${QUERY_LEVELS.join(', ')}`);
  }
  return level as QueryLevel;
}

export function parseRoot(value: string): QueryRoot {
  const root = value.toLowerCase();
  if (root !== 'patient' && root !== 'study') {
    throw new InvalidArgumentError(`'${value}' is not patient or study`);
  }
  return root;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** --from, --level, -k (repeatable) and --root. */
export function addQueryOptions(command: Command): Command {
  return command
    .requiredOption('--from <AET@HOST:PORT>', 'the peer to query', parsePeer)
    .requiredOption(
      '--level <level>',
      'QueryRetrieveLevel: PATIENT, STUDY, SERIES or IMAGE',
      parseLevel,
    )
    .option(
      '-k, --key <key>',
      'query key: Keyword=Value or GGGG,EEEE=Value; Keyword alone asks for it back (repeatable)',
      collect,
      [],
    )
    .option(
      '--root <root>',
      'information model: patient or study (default: study, patient for PATIENT)',
      parseRoot,
    );
}

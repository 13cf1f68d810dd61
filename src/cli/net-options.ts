import { readFileSync } from 'node:fs';
import type { TlsOptions } from 'node:tls';
import { InvalidArgumentError } from 'commander';
import type { AllowedPeer } from '../net/services/server.js';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`'${value}' is not a TCP port (0-65535)`);
  }
  return port;
}

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

/** `AET` or `AET@HOST` entries of an allow-list. */
export function parseAllowedPeers(values: readonly string[]): AllowedPeer[] {
  return values.map((value) => {
    const at = value.indexOf('@');
    return at < 0 ? { aeTitle: value } : { aeTitle: value.slice(0, at), host: value.slice(at + 1) };
  });
}

export function tlsServerOptions(options: {
  tlsKey?: string | undefined;
  tlsCert?: string | undefined;
  tlsCa?: string | undefined;
}): TlsOptions | undefined {
  if (options.tlsKey === undefined && options.tlsCert === undefined) return undefined;
  if (options.tlsKey === undefined || options.tlsCert === undefined) {
    throw new InvalidArgumentError('TLS needs both --tls-key and --tls-cert');
  }
  return {
    key: readFileSync(options.tlsKey),
    cert: readFileSync(options.tlsCert),
    ...(options.tlsCa !== undefined && {
      ca: readFileSync(options.tlsCa),
      requestCert: true,
      rejectUnauthorized: true,
    }),
  };
}

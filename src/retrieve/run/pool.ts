/**
 * Associations to one PACS, kept open and reused between requests (an association set-up costs a
 * round trip or two; a 10,000-row cohort should not pay it 20,000 times). At most as many as the
 * gate lets run at once. An association that failed is aborted, never reused.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { ProposedContext, ProposedRole } from '../../net/negotiation/index.js';
import { DicomClientError } from '../../net/services/client-errors.js';
import { DicomClient } from '../../net/services/client.js';

export interface PacsAddress {
  readonly aeTitle: string;
  readonly host: string;
  readonly port: number;
  readonly tls?: TlsConnectionOptions | undefined;
}

export interface PoolOptions {
  readonly pacs: PacsAddress;
  readonly callingAeTitle: string;
  readonly contexts: readonly ProposedContext[];
  readonly roles?: readonly ProposedRole[] | undefined;
  readonly connectTimeoutMs?: number | undefined;
  readonly associationTimeoutMs?: number | undefined;
  /** Longest silence of the PACS during a request (C-MOVE: between its responses). */
  readonly dimseTimeoutMs?: number | undefined;
  readonly maxPduLength?: number | undefined;
}

/** Errors after which the association is still usable: they concern one request. */
const REQUEST_ERRORS = new Set(['DIMSE_FAILURE', 'NO_PRESENTATION_CONTEXT']);

export class ClientPool {
  private readonly options: PoolOptions;
  private readonly idle: DicomClient[] = [];
  private readonly all = new Set<DicomClient>();

  constructor(options: PoolOptions) {
    this.options = options;
  }

  /** `AET@host:port` */
  get peer(): string {
    const { aeTitle, host, port } = this.options.pacs;
    return `${aeTitle}@${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** Runs `fn` on an open association (reused or new). */
  async use<T>(fn: (client: DicomClient) => Promise<T>): Promise<T> {
    let client = this.idle.pop();
    while (client !== undefined && !client.isOpen) {
      this.all.delete(client);
      client = this.idle.pop();
    }
    client ??= await this.connect();
    try {
      const result = await fn(client);
      this.idle.push(client);
      return result;
    } catch (error) {
      if (error instanceof DicomClientError && REQUEST_ERRORS.has(error.code) && client.isOpen) {
        this.idle.push(client);
      } else {
        this.all.delete(client);
        await client.abort().catch(() => undefined);
      }
      throw error;
    }
  }

  /** Releases every idle association and aborts the others. */
  async close(): Promise<void> {
    const clients = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(
      clients.map((client) =>
        client.isOpen ? client.release().catch(() => client.abort()) : Promise.resolve(),
      ),
    );
  }

  private async connect(): Promise<DicomClient> {
    const { pacs, ...rest } = this.options;
    const client = await DicomClient.connect({
      host: pacs.host,
      port: pacs.port,
      tls: pacs.tls,
      callingAeTitle: rest.callingAeTitle,
      calledAeTitle: pacs.aeTitle,
      contexts: rest.contexts,
      roles: rest.roles,
      connectTimeoutMs: rest.connectTimeoutMs,
      associationTimeoutMs: rest.associationTimeoutMs,
      dimseTimeoutMs: rest.dimseTimeoutMs,
      maxPduLength: rest.maxPduLength,
    });
    this.all.add(client);
    return client;
  }
}

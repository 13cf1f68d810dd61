import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import {
  acceptContexts,
  associateRj,
  standardTransferSyntaxes,
  validateAcceptorPolicy,
  type AcceptorPolicy,
  type Rejection,
} from '../negotiation/index.js';
import type { AAssociateRq } from '../pdu/index.js';
import { DicomConnection, type Ending } from '../transport/connection.js';
import type { AssociationInfo, ServiceHandlers } from './handlers.js';
import { ScpAssociation } from './scp-association.js';

/** A peer allowed to associate: its calling AE title and, optionally, the address it must come from. */
export interface AllowedPeer {
  readonly aeTitle: string;
  readonly host?: string | undefined;
}

export interface ServerOptions {
  readonly aeTitle: string;
  /** Address to bind. Default '0.0.0.0' (a PACS must reach us); '127.0.0.1' for local use. */
  readonly host?: string | undefined;
  /** 0 picks a free port (see `address()`). */
  readonly port: number;
  /**
   * Which peers may associate. Undefined: any calling AE title. With a list, others are rejected
   * with "calling AE title not recognized" (PS3.8 9.3.4).
   */
  readonly allowedPeers?: readonly AllowedPeer[] | undefined;
  /** Accept any called AE title, not only ours (DCMTK storescp's default is to check it). */
  readonly acceptAnyCalledAeTitle?: boolean | undefined;
  /**
   * SOP classes offered. Undefined: every one proposed, private and unknown included, as the
   * original's storescp --accept-unknown did.
   */
  readonly abstractSyntaxes?: readonly string[] | undefined;
  /**
   * Transfer syntaxes accepted, in our order of preference when `preferRequestorOrder` is off.
   * Undefined: every one proposed (stored verbatim, never transcoded).
   */
  readonly transferSyntaxes?: readonly string[] | undefined;
  /** Pick the requestor's first acceptable transfer syntax of each context (default true). */
  readonly preferRequestorOrder?: boolean | undefined;
  /** Simultaneous associations; more are rejected with "local limit exceeded". Default 32. */
  readonly maxAssociations?: number | undefined;
  /** Our Maximum Length (PS3.8 D.1). Default 256 KiB. */
  readonly maxPduLength?: number | undefined;
  /** Abort an association idle this long. Default 60 s; 0 disables. */
  readonly idleTimeoutMs?: number | undefined;
  /** Time for association set-up and for closing (ARTIM). Default 30 s. */
  readonly artimTimeoutMs?: number | undefined;
  /** TLS (DICOM PS3.15 B.1): key, cert, and `ca` + `requestCert` for mutual TLS. */
  readonly tls?: TlsOptions | undefined;
  readonly handlers: ServiceHandlers;
  /** Association-level events for logs and metrics; never PHI. */
  readonly onEvent?: ((event: ServerEvent) => void) | undefined;
}

export type ServerEvent =
  | { readonly kind: 'association-accepted'; readonly association: AssociationInfo }
  | {
      readonly kind: 'association-rejected';
      readonly callingAeTitle: string;
      readonly remoteAddress: string;
      readonly reason: Rejection;
    }
  | { readonly kind: 'association-ended'; readonly id: number; readonly ending: Ending }
  | { readonly kind: 'message'; readonly id: number; readonly text: string };

const DEFAULT_MAX_PDU = 256 * 1024;
/**
 * A server's TLS settings from PEM files. With a CA file, a client must present a certificate that
 * CA signed (mutual TLS).
 */
export function serverTlsFromFiles(files: {
  readonly keyFile: string;
  readonly certFile: string;
  readonly caFile?: string | null | undefined;
}): TlsOptions {
  const { keyFile, certFile, caFile } = files;
  return {
    key: readFileSync(keyFile),
    cert: readFileSync(certFile),
    ...(caFile != null && {
      ca: readFileSync(caFile),
      requestCert: true,
      rejectUnauthorized: true,
    }),
  };
}

/** At shutdown, how long an aborted peer has to close its side before we close the socket. */
const SHUTDOWN_ABORT_CLOSE_MS = 1_000;
let associationIds = 0;

/**
 * A DICOM SCP: listens, negotiates each association under the options' policy and serves its
 * DIMSE requests with the handlers. `close()` stops accepting, lets running associations finish
 * (or aborts them after a grace period) and resolves when all are gone.
 */
export class DicomServer {
  private readonly options: ServerOptions;
  private readonly server: Server;
  private readonly connections = new Set<DicomConnection>();
  /** Each ended association's cleanup (a partial object's file removed): close() awaits them. */
  private readonly cleanups = new Set<Promise<void>>();

  constructor(options: ServerOptions) {
    this.options = options;
    // Fail at start, naming the option, rather than on the first association.
    validateAcceptorPolicy(this.policyFor(undefined));
    const onSocket = (socket: Socket): void => this.onSocket(socket);
    this.server =
      options.tls === undefined
        ? createTcpServer(onSocket)
        : createTlsServer(options.tls, onSocket);
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
        this.server.off('error', reject);
        resolve(this.address());
      });
    });
  }

  address(): { host: string; port: number } {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('server not listening');
    return { host: address.address, port: address.port };
  }

  get activeAssociations(): number {
    return this.connections.size;
  }

  /** Stops listening; waits up to `graceMs` for associations to end, then aborts the rest. */
  async close(graceMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = Date.now() + graceMs;
    while (this.connections.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const connection of this.connections) connection.abort('server shutting down');
    // After its A-ABORT a peer should hang up; one that does not would hold the shutdown for the
    // whole ARTIM (30 s by default): its socket is closed from our side after a short wait.
    const hangUp = Date.now() + SHUTDOWN_ABORT_CLOSE_MS;
    while (this.connections.size > 0 && Date.now() < hangUp) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const connection of this.connections) connection.socket.destroy();
    while (this.connections.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all([...this.cleanups]);
    await closed;
  }

  private onSocket(socket: Socket): void {
    const id = ++associationIds;
    const options = this.options;
    const remoteAddress = socket.remoteAddress ?? '';
    let scp: ScpAssociation | undefined;
    socket.on('error', () => undefined); // reported through the connection's ending
    const connection = new DicomConnection(
      socket,
      {
        associateRequested: (rq) => {
          const rejection = this.rejection(rq, remoteAddress);
          if (rejection !== undefined) {
            options.onEvent?.({
              kind: 'association-rejected',
              callingAeTitle: rq.callingAeTitle,
              remoteAddress,
              reason: rejection,
            });
            connection.reject(associateRj(rejection));
            return;
          }
          const decision = acceptContexts(rq, this.policyFor(rq));
          if (decision.kind === 'reject') {
            options.onEvent?.({
              kind: 'association-rejected',
              callingAeTitle: rq.callingAeTitle,
              remoteAddress,
              reason: decision.rejection,
            });
            connection.reject(decision.rj);
            return;
          }
          const info: AssociationInfo = {
            id,
            callingAeTitle: rq.callingAeTitle,
            calledAeTitle: rq.calledAeTitle,
            remoteAddress,
            remotePort: socket.remotePort ?? 0,
            negotiated: decision.negotiated,
          };
          scp = new ScpAssociation(connection, info, options.handlers, (text) =>
            options.onEvent?.({ kind: 'message', id, text }),
          );
          connection.accept(decision.ac, decision.negotiated);
          options.onEvent?.({ kind: 'association-accepted', association: info });
        },
        command: (event) => scp?.command(event),
        dataset: (event) => scp?.dataset(event),
        ended: (ending) => {
          this.connections.delete(connection);
          if (scp !== undefined) {
            const cleanup = scp.ended().catch(() => undefined);
            this.cleanups.add(cleanup);
            void cleanup.finally(() => this.cleanups.delete(cleanup));
          }
          options.onEvent?.({ kind: 'association-ended', id, ending });
        },
      },
      {
        side: 'acceptor',
        maxReceivePduLength: options.maxPduLength ?? DEFAULT_MAX_PDU,
        idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
        artimTimeoutMs: options.artimTimeoutMs,
      },
    );
    this.connections.add(connection);
  }

  /** Checks made before negotiation: capacity, then the allow-list with its optional host. */
  private rejection(rq: AAssociateRq, remoteAddress: string): Rejection | undefined {
    if (this.connections.size > (this.options.maxAssociations ?? 32)) return 'local-limit-exceeded';
    const allowed = this.options.allowedPeers;
    if (allowed === undefined) return undefined;
    const match = allowed.some(
      (peer) =>
        peer.aeTitle === rq.callingAeTitle &&
        (peer.host === undefined || sameAddress(peer.host, remoteAddress)),
    );
    return match ? undefined : 'calling-ae-title-not-recognized';
  }

  /**
   * The negotiation policy. Without configured lists we accept what is proposed: every abstract
   * syntax (accept-unknown) and every transfer syntax, in the requestor's order, so each object
   * is stored exactly as the sender holds it.
   */
  private policyFor(rq: AAssociateRq | undefined): AcceptorPolicy {
    const options = this.options;
    const proposed = rq?.presentationContexts.flatMap((c) => c.transferSyntaxes) ?? [];
    const transferSyntaxes =
      options.transferSyntaxes ??
      unique([...standardTransferSyntaxes(), ...proposed.filter(isUid)]);
    // A C-GET requestor takes the SCP role for the storage classes it proposes (PS3.7 D.3.3.4).
    const getRoles =
      options.handlers.get === undefined
        ? []
        : (rq?.userInformation.roleSelections ?? []).map((role) => ({
            abstractSyntax: role.sopClassUid,
            requestorRoles: { scu: true, scp: true },
          }));
    return {
      aeTitle: options.aeTitle,
      acceptAnyCalledAeTitle: options.acceptAnyCalledAeTitle,
      transferSyntaxes,
      transferSyntaxPreference: (options.preferRequestorOrder ?? true) ? 'requestor' : 'acceptor',
      abstractSyntaxes: [...getRoles, ...(options.abstractSyntaxes ?? [])],
      acceptUnknownAbstractSyntaxes: options.abstractSyntaxes === undefined,
      maxPduLength: options.maxPduLength ?? DEFAULT_MAX_PDU,
    };
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function isUid(value: string): boolean {
  return /^[0-9]+(\.[0-9]+)*$/.test(value) && value.length <= 64;
}

/** '::ffff:127.0.0.1' and '127.0.0.1' are the same peer. */
function sameAddress(a: string, b: string): boolean {
  const strip = (s: string): string => s.replace(/^::ffff:/, '');
  return strip(a) === strip(b);
}

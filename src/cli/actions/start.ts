import { ConfigError, loadConfig } from '../../config/index.js';
import { FeaturesetError } from '../../metadata/index.js';
import { StoreError } from '../../store/errors.js';
import { CliError } from '../errors.js';
import { startService } from '../service.js';

export async function start(file: string | undefined): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig({ file });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  // Signals are ours from before the DICOM port opens: one that arrives while the rest starts
  // (the HTTP server, after the receiver already accepts associations) is kept and acted on once
  // the service is up, instead of killing the process without a clean shutdown. One listener
  // stays for the whole run: removing the last one and adding another would drop a signal that
  // Node has received but not yet dispatched.
  let early: NodeJS.Signals | undefined;
  let onSignal = (signal: NodeJS.Signals): void => {
    // A second signal while still starting (a database that does not answer, a long recovery)
    // exits at once, as it does once the service runs.
    if (early !== undefined) process.exit(130);
    early = signal;
  };
  const listener = (signal: NodeJS.Signals): void => onSignal(signal);
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  let service;
  try {
    service = await startService(loaded.config, { warnings: loaded.warnings });
  } catch (error) {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
    if (error instanceof FeaturesetError || error instanceof StoreError) {
      throw new CliError(error.message);
    }
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(`cannot listen: ${(error as Error).message}`);
    }
    throw error;
  }
  const running = service;
  // First SIGTERM/SIGINT: clean shutdown. A second one: stop at once.
  await new Promise<void>((done) => {
    let stopping = false;
    onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        running.logger.warn({ event: 'forced-exit', signal }, 'second signal: exiting now');
        process.exit(130);
      }
      stopping = true;
      running.logger.info({ event: 'signal', signal }, 'shutting down');
      running.stop().then(done, (error: unknown) => {
        running.logger.error({ event: 'shutdown-error', error: String(error) }, 'shutdown failed');
        process.exitCode = 1;
        done();
      });
    };
    if (early !== undefined) onSignal(early);
  });
}

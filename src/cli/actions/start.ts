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
  let service;
  try {
    service = await startService(loaded.config, { warnings: loaded.warnings });
  } catch (error) {
    if (error instanceof FeaturesetError || error instanceof StoreError) {
      throw new CliError(error.message);
    }
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(`cannot listen: ${(error as Error).message}`);
    }
    throw error;
  }
  // First SIGTERM/SIGINT: clean shutdown. A second one: stop at once.
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        service.logger.warn({ event: 'forced-exit', signal }, 'second signal: exiting now');
        process.exit(130);
      }
      stopping = true;
      service.logger.info({ event: 'signal', signal }, 'shutting down');
      service.stop().then(done, (error: unknown) => {
        service.logger.error({ event: 'shutdown-error', error: String(error) }, 'shutdown failed');
        process.exitCode = 1;
        done();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

import type { Command } from 'commander';

export function registerDump(root: Command): void {
  root
    .command('dump')
    .description('print the elements of DICOM files, like dcmdump, or as the DICOM JSON model')
    .argument('<files...>', 'DICOM files (Part 10, or bare/ACR-NEMA datasets)')
    .option(
      '--json',
      'print the DICOM JSON model (PS3.18 F.2); an array when several files are given',
    )
    .action(async (files: string[], options: { json?: boolean }) => {
      const { dump } = await import('../actions/dump.js');
      process.exitCode = await dump(files, options.json === true);
    });
}

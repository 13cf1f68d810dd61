import type { Command } from 'commander';

export function registerPixels(root: Command): void {
  root
    .command('pixels')
    .description('decode the Pixel Data of a DICOM file (every transfer syntax we know)')
    .argument('<file>', 'DICOM file (Part 10, or a bare/ACR-NEMA dataset)')
    .requiredOption(
      '--raw <out>',
      'write the decoded pixel cells, all frames, little endian, as a native explicit VR ' +
        'little endian Pixel Data value (colour JPEG as RGB, colour-by-pixel after a decoder)',
    )
    .action(async (file: string, options: { raw: string }) => {
      const { pixels } = await import('../actions/pixels.js');
      process.exitCode = await pixels(file, options.raw);
    });
}

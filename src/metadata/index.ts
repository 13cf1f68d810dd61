/**
 * The metadata layer's public surface: featureset files (the original's conf/*.txt) and the
 * typed, flattened values extracted from a header for each.
 */
export {
  FEATURESET_NAME,
  FeaturesetError,
  parseFeatureset,
  privateKey,
  publicKey,
  type FeatureEntry,
  type Featureset,
} from './featureset.js';
export {
  BUILTIN_FEATURESETS_DIR,
  loadFeaturesets,
  type FeaturesetSources,
} from './featureset-files.js';
export {
  elementKey,
  extractFeatures,
  typedValue,
  type FeatureDocument,
  type FeatureScalar,
  type FeatureValue,
} from './extract.js';

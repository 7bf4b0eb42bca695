export { canonicalJson } from './canonical-json';
export {
  EvidenceError,
  EvidenceInputError,
  EvidenceIoError,
  EvidenceLockError,
  EvidenceSecretError,
} from './errors';
export type { EvidenceErrorCode } from './errors';
export {
  DEFAULT_EVIDENCE_DIR,
  EVIDENCE_FILE,
  GENESIS_HASH,
  EvidenceStore,
  entryHash,
  verifyText,
} from './store';
export type {
  AppendInput,
  AppendResult,
  EvidenceEntry,
  EvidenceStoreOptions,
  ListFilter,
  VerifyProblem,
  VerifyResult,
} from './store';

/**
 * @packageDocumentation
 * `@mirrorkit/core`: MirrorMaker 2 compatible replication policies, record codecs and offset
 * translation. Pure logic, no I/O, apart from the checkpoint reader over kafkajs.
 */
export { MirrorKitError } from './errors.js';
export type { Checkpoint, EncodedRecord, Heartbeat, OffsetSync } from './records.js';
export {
  type ReadRecord,
  type ReadTopicOptions,
  readTopicToEnd,
  TopicReaderError,
  type TopicReaderErrorCode,
} from './topic-reader.js';

import { MirrorKitError } from '../errors.js';
import type { MirrorKitCompressionError } from './compression-error.js';

/**
 * A record batch a broker served that cannot be decoded (its bytes do not decompress, or its
 * codec cannot be loaded here). Names the partition and the batch's first offset; nothing at or
 * after that offset has been handed to anyone, so nothing was skipped.
 */
export class MirrorKitUndecodableBatchError extends MirrorKitError {
  declare readonly code: 'RECORDS_UNDECODABLE';
  readonly topic: string;
  readonly partition: number;
  /** Base offset of the batch that does not decode. */
  readonly offset: bigint;
  declare readonly cause: MirrorKitCompressionError;

  constructor(topic: string, partition: number, offset: bigint, cause: MirrorKitCompressionError) {
    super(
      'RECORDS_UNDECODABLE',
      `${topic}[${partition}]: the record batch at offset ${offset} cannot be decoded: ${cause.message}`,
      { cause },
    );
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
  }
}

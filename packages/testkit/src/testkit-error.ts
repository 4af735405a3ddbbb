import { MirrorKitError } from '@mirrorkit/core';

/** Codes for what can go wrong while fetching or running Kafka for tests. */
export type TestkitErrorCode =
  | 'TESTKIT_JARS_UNAVAILABLE'
  | 'TESTKIT_JAVA_MISSING'
  | 'TESTKIT_FORMAT_FAILED'
  | 'TESTKIT_START_FAILED'
  | 'TESTKIT_START_TIMEOUT'
  | 'TESTKIT_PROCESS_EXITED'
  | 'TESTKIT_BAD_ARGUMENT'
  | 'TESTKIT_PROXY_FAILED'
  | 'TESTKIT_PROXY_CLOSED';

/** An error from the testkit; the message carries the tail of the relevant JVM log when there is one. */
export class TestkitError extends MirrorKitError {
  declare readonly code: TestkitErrorCode;

  constructor(code: TestkitErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

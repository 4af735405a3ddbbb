import { describe, expect, it } from 'vitest';
import { MirrorKitConfigError } from './config-error.js';
import { parseJavaProperties } from './java-properties.js';

function refusal(text: string): MirrorKitConfigError {
  try {
    parseJavaProperties(text);
  } catch (error) {
    if (error instanceof MirrorKitConfigError) return error;
    throw error;
  }
  throw new Error('expected a MirrorKitConfigError');
}

describe('parseJavaProperties: malformed \\u escapes', () => {
  it('names the key and line of a value, never its text', () => {
    const error = refusal('ok = 1\nssl.keystore.password = s3cr3t-XYZ\\uXYZ1tail');
    expect(error.code).toBe('CONFIG_MALFORMED_LINE');
    expect(error.key).toBe('ssl.keystore.password');
    expect(error.line).toBe(2);
    expect(error.message).not.toMatch(/s3cr3t|XYZ|tail/);
  });

  it('names the line of a key, without quoting it', () => {
    const error = refusal('a = 1\n\n s3cr3t-\\uXYZ1 = v');
    expect(error.line).toBe(3);
    expect(error.message).not.toMatch(/s3cr3t|XYZ/);
  });
});

import { describe, expect, it } from 'vitest';
import {
  configDefBoolean,
  configDefInteger,
  configDefList,
  inlineComment,
  javaParseBoolean,
  javaTrim,
} from './kafka-config-values.js';

describe('Kafka config values', () => {
  it('ConfigDef BOOLEAN: trimmed true/false in any case, anything else refused', () => {
    expect(configDefBoolean('true')).toBe(true);
    expect(configDefBoolean(' TRUE\t')).toBe(true);
    expect(configDefBoolean('False')).toBe(false);
    for (const bad of ['yes', '1', '', 'true # on', 'false # Disable for Active-Passive', 'tru'])
      expect(configDefBoolean(bad), bad).toBeUndefined();
  });

  it('Boolean.parseBoolean: exactly "true" in any case, untrimmed; never refuses', () => {
    expect(javaParseBoolean('true')).toBe(true);
    expect(javaParseBoolean('tRuE')).toBe(true);
    for (const no of ['true ', ' true', 'true # on', 'yes', '', undefined])
      expect(javaParseBoolean(no)).toBe(false);
  });

  it("trims like Java's String.trim: control chars yes, NBSP no", () => {
    expect(javaTrim('\u0001 a \t')).toBe('a');
    expect(javaTrim('\u00a0a')).toBe('\u00a0a');
  });

  it('ConfigDef SHORT/INT/LONG: sign, digits, range', () => {
    expect(configDefInteger(' +42 ', 'int')).toBe(42n);
    expect(configDefInteger('-1', 'short')).toBe(-1n);
    expect(configDefInteger('32768', 'short')).toBeUndefined();
    expect(configDefInteger('2147483648', 'int')).toBeUndefined();
    expect(configDefInteger('9223372036854775807', 'long')).toBe(9223372036854775807n);
    for (const bad of ['10 # seconds', '1e3', '0x10', '', '1.0'])
      expect(configDefInteger(bad, 'long'), bad).toBeUndefined();
  });

  it('ConfigDef LIST: split at commas and the blanks around them, empty entries kept', () => {
    expect(configDefList(' a , b,c ')).toEqual(['a', 'b', 'c']);
    expect(configDefList('a,,b,')).toEqual(['a', '', 'b', '']);
    expect(configDefList('  ')).toEqual([]);
  });

  it('finds what looks like an inline comment', () => {
    expect(inlineComment('false # Disable for Active-Passive')).toEqual({
      intended: 'false',
      comment: '# Disable for Active-Passive',
    });
    expect(inlineComment('3 ! three')).toEqual({ intended: '3', comment: '! three' });
    expect(inlineComment('# all of it')).toEqual({ intended: '', comment: '# all of it' });
    for (const none of ['a#b', 'p!ssword', '!starts', 'orders.*'])
      expect(inlineComment(none), none).toBeUndefined();
  });
});

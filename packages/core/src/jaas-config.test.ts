import { describe, expect, it } from 'vitest';
import { JaasSyntaxError, parseJaasConfig } from './jaas-config.js';

const SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule';

describe('parseJaasConfig', () => {
  it('unescapes quoted values as StreamTokenizer does', () => {
    const [module] = parseJaasConfig(
      `${SCRAM} required username="svc user" password="a\\"b\\\\c=d;e f\\tg\\101";`,
    );
    expect(module?.loginModule).toBe(SCRAM);
    expect(module?.flag).toBe('required');
    expect(module?.options.get('username')).toBe('svc user');
    expect(module?.options.get('password')).toBe('a"b\\c=d;e f\tgA');
  });

  it('reads single quotes, bare words and comments', () => {
    const [module] = parseJaasConfig(
      `${SCRAM} /* note */ REQUIRED username=svc // trailing\n password='it"s';`,
    );
    expect(module?.flag).toBe('required');
    expect(module?.options.get('username')).toBe('svc');
    expect(module?.options.get('password')).toBe('it"s');
  });

  it('reads octal escapes to at most 0377', () => {
    expect(parseJaasConfig(`${SCRAM} required password="\\477";`)[0]?.options.get('password')).toBe(
      '\u00277',
    );
  });

  it.each([
    [`${SCRAM} required password="s3cr3t-XYZ`, 'unterminated quoted value'],
    [`${SCRAM} required password="s3cr3t-XYZ"`, 'expected ";"'],
    [`${SCRAM} password="s3cr3t-XYZ";`, 'expected required'],
    [`${SCRAM} required password "s3cr3t-XYZ";`, 'expected "="'],
    [`${SCRAM} required password=;`, 'expected an option value'],
    ['', 'no login module'],
  ])('refuses %j without quoting it', (text, reason) => {
    let error: unknown;
    try {
      parseJaasConfig(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JaasSyntaxError);
    expect((error as Error).message).toContain(reason);
    expect((error as Error).message).not.toContain('s3cr3t');
  });

  it('reads several login modules', () => {
    expect(parseJaasConfig(`a.B required x=1; c.D optional y="2";`).map((m) => m.loginModule)).toEqual([
      'a.B',
      'c.D',
    ]);
  });
});

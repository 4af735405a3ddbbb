import { describe, expect, it } from 'vitest';
import { pemBlocks, TlsSettingProblem, tlsMaterial } from './tls-material.js';

const BODY = 'A'.repeat(100);
const WRAPPED = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(64)}\n${'A'.repeat(36)}\n-----END CERTIFICATE-----`;

describe('pemBlocks', () => {
  it('re-wraps blocks whose newlines became spaces, literal \\n or nothing', () => {
    for (const text of [
      `-----BEGIN CERTIFICATE----- ${BODY.slice(0, 50)} ${BODY.slice(50)} -----END CERTIFICATE-----`,
      `-----BEGIN CERTIFICATE-----\\n${BODY.slice(0, 50)}\\n${BODY.slice(50)}\\n-----END CERTIFICATE-----`,
      `-----BEGIN CERTIFICATE-----${BODY}-----END CERTIFICATE-----`,
    ])
      expect(pemBlocks(text)).toEqual([{ label: 'CERTIFICATE', pem: WRAPPED }]);
  });

  it('keeps labels apart and ignores text between blocks', () => {
    const text = `Bag Attributes\n-----BEGIN PRIVATE KEY-----\nQQ==\n-----END PRIVATE KEY-----\nsubject=x\n${WRAPPED}`;
    expect(pemBlocks(text).map((b) => b.label)).toEqual(['PRIVATE KEY', 'CERTIFICATE']);
  });
});

describe('tlsMaterial', () => {
  it('reports an unreadable file by its key and errno code only', () => {
    const settings = new Map([
      ['ssl.truststore.type', 'PEM'],
      ['ssl.truststore.location', '/s3cr3t-XYZ'],
    ]);
    let problem: unknown;
    try {
      tlsMaterial(settings, () => {
        throw Object.assign(new Error('EACCES: /s3cr3t-XYZ'), { code: 'EACCES' });
      });
    } catch (error) {
      problem = error;
    }
    expect(problem).toBeInstanceOf(TlsSettingProblem);
    expect(problem).toMatchObject({ key: 'ssl.truststore.location', code: 'CONFIG_UNREADABLE_FILE' });
    expect((problem as Error).message).toContain('EACCES');
    expect((problem as Error).message).not.toContain('s3cr3t');
  });
});

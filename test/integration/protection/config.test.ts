import { describe, expect, it } from 'vitest';
import { readProtectionConfig } from '../../../layers/protection/config.js';
import { describeTokenSource, storeEndpoint } from '../../../layers/protection/tokenSource.js';

// How the layer reads where its token lives, and which endpoint its own read of the store connects to.

describe('the token source in the environment', () => {
  it('takes the SSM parameter or the secret instead of VIGIL_TOKEN, and says so when several are set', () => {
    expect(readProtectionConfig({ VIGIL_TOKEN: 't' })).toMatchObject({ token: { kind: 'value', token: 't' }, problems: [] });
    expect(readProtectionConfig({ VIGIL_TOKEN_PARAMETER: ' /vigil/token ' })).toMatchObject({
      token: { kind: 'ssmParameter', name: '/vigil/token' },
      problems: [],
    });
    expect(readProtectionConfig({ VIGIL_TOKEN_SECRET: 'vigil/token' })).toMatchObject({
      token: { kind: 'secret', secretId: 'vigil/token' },
      problems: [],
    });
    expect(
      readProtectionConfig({ VIGIL_TOKEN: 't', VIGIL_TOKEN_SECRET: 'vigil/token', VIGIL_TOKEN_PARAMETER: '/vigil/token' }),
    ).toMatchObject({
      token: { kind: 'ssmParameter', name: '/vigil/token' },
      problems: ['VIGIL_TOKEN_PARAMETER and VIGIL_TOKEN_SECRET and VIGIL_TOKEN are set: set one; using VIGIL_TOKEN_PARAMETER'],
    });
    expect(readProtectionConfig({}).token).toBeUndefined();
  });

  it('ignores a parameter name longer than SSM and Secrets Manager accept', () => {
    const config = readProtectionConfig({ VIGIL_TOKEN_PARAMETER: `/${'p'.repeat(2048)}` });
    expect(config.token).toBeUndefined();
    expect(config.problems).toEqual(['VIGIL_TOKEN_PARAMETER is longer than 2048 characters; ignored']);
  });

  it('names a store by parameter or secret, never by what it holds', () => {
    expect(describeTokenSource({ kind: 'ssmParameter', name: '/vigil/token' })).toBe('SSM parameter "/vigil/token"');
    expect(describeTokenSource({ kind: 'secret', secretId: 'vigil/token' })).toBe('Secrets Manager secret "vigil/token"');
    expect(describeTokenSource({ kind: 'value', token: 'secret-value' })).toBe('VIGIL_TOKEN');
  });
});

describe('the endpoint of the layer’s own read of the store', () => {
  const ssm = { kind: 'ssmParameter', name: '/p' } as const;
  const secret = { kind: 'secret', secretId: 's' } as const;

  it('is the service endpoint override when set, else the global override, else the regional endpoint', () => {
    expect(storeEndpoint(ssm, { AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:4566', AWS_ENDPOINT_URL: 'https://other.example' })).toEqual({
      host: '127.0.0.1',
      port: 4566,
    });
    expect(storeEndpoint(secret, { AWS_ENDPOINT_URL: 'https://vpce-1.secretsmanager.example' })).toEqual({
      host: 'vpce-1.secretsmanager.example',
      port: 443,
    });
    expect(storeEndpoint(ssm, { AWS_REGION: 'eu-west-1' })).toEqual({ host: 'ssm.eu-west-1.amazonaws.com', port: 443 });
    expect(storeEndpoint(secret, { AWS_REGION: 'cn-north-1' })).toEqual({ host: 'secretsmanager.cn-north-1.amazonaws.com.cn', port: 443 });
  });

  it('is none for a plain token or an override that is not a URL', () => {
    expect(storeEndpoint({ kind: 'value', token: 't' }, {})).toBeUndefined();
    expect(storeEndpoint(ssm, { AWS_ENDPOINT_URL_SSM: 'not a url' })).toBeUndefined();
  });
});

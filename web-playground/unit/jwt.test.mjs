import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from './load.mjs';

const { decodeClaims, parseExpiresAt } = await load('src/auth/jwt.ts');

const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const token = (claims) => `${part({ alg: 'EdDSA', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;

test('decodeClaims reads sub, email, roles and the space-separated scope', () => {
  const claims = decodeClaims(
    token({
      sub: 'u-1',
      email: 'zoë@example.com',
      roles: ['admin', 'editor', 7],
      scope: 'blog.post.publish  audit.entry.read',
      exp: 1_900_000_000,
      iss: 'identity',
    }),
  );
  assert.deepEqual(claims, {
    sub: 'u-1',
    email: 'zoë@example.com',
    roles: ['admin', 'editor'],
    scopes: ['blog.post.publish', 'audit.entry.read'],
    exp: 1_900_000_000,
    iss: 'identity',
  });
});

test('decodeClaims tolerates missing claims', () => {
  assert.deepEqual(decodeClaims(token({ sub: 'u-2' })), {
    sub: 'u-2',
    email: undefined,
    roles: [],
    scopes: [],
    exp: undefined,
    iss: undefined,
  });
});

test('decodeClaims rejects what is not a JWT', () => {
  assert.equal(decodeClaims('opaque-token'), null);
  assert.equal(decodeClaims('a.b'), null);
  assert.equal(decodeClaims(`${part({})}.bm90IGpzb24.sig`), null);
  assert.equal(decodeClaims(`${part({})}.${part('a string')}.sig`), null);
});

test('parseExpiresAt accepts seconds, milliseconds and RFC 3339', () => {
  assert.equal(parseExpiresAt(1_900_000_000), 1_900_000_000_000);
  assert.equal(parseExpiresAt(1_900_000_000_123), 1_900_000_000_123);
  assert.equal(parseExpiresAt('1900000000'), 1_900_000_000_000);
  assert.equal(parseExpiresAt('2030-03-17T17:46:40Z'), Date.UTC(2030, 2, 17, 17, 46, 40));
  assert.equal(parseExpiresAt('next tuesday'), undefined);
  assert.equal(parseExpiresAt(null), undefined);
  assert.equal(parseExpiresAt(''), undefined);
});

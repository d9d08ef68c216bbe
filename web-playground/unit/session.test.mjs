// The session and the editor's fetcher against the mock gateway over real HTTP.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MOCK_ADMIN, startMockGateway } from '../dev/mock-server.mjs';
import { load } from './load.mjs';

const { SessionStore, refreshDelay } = await load('src/auth/session.ts');
const { createFetcher, takePlan, resolveOperationName } = await load('src/graphql/fetcher.ts');
const { PlanStore } = await load('src/plan/store.ts');

/** sessionStorage stand-in. */
class MemoryStorage {
  items = new Map();
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
}

let gateway;
let endpoint;
before(async () => {
  gateway = await startMockGateway({ tokenTtl: 900 });
  endpoint = `${gateway.url}/graphql`;
});
after(() => gateway.close());

function newStore(storage = new MemoryStorage()) {
  const store = new SessionStore({ storage, endpoint });
  return { store, storage };
}

test('a wrong password is reported and leaves no session', async (t) => {
  const { store, storage } = newStore();
  t.after(() => store.dispose());
  assert.equal(await store.signIn(MOCK_ADMIN.email, 'wrong'), false);
  const state = store.getSnapshot();
  assert.equal(state.session, null);
  assert.match(state.error, /Invalid email or password/);
  assert.equal(storage.items.size, 0);
});

test('sign-in stores the tokens and exposes the claims; a new store picks the session up', async (t) => {
  const { store, storage } = newStore();
  t.after(() => store.dispose());
  let notified = 0;
  store.subscribe(() => notified++);
  assert.equal(await store.signIn(MOCK_ADMIN.email, MOCK_ADMIN.password), true);
  const { session, claims, error } = store.getSnapshot();
  assert.equal(error, null);
  assert.equal(session.user.email, MOCK_ADMIN.email);
  assert.equal(claims.email, MOCK_ADMIN.email);
  assert.deepEqual(claims.roles, ['admin']);
  assert.ok(claims.scopes.includes('blog.post.publish'));
  assert.ok(Math.abs(session.expiresAt - (Date.now() + 900_000)) < 5_000);
  assert.ok(notified >= 2, 'subscribers hear about busy and signed-in');

  const reloaded = new SessionStore({ storage, endpoint });
  t.after(() => reloaded.dispose());
  assert.equal(reloaded.getSnapshot().session.accessToken, session.accessToken);
  assert.equal(await reloaded.accessToken(), session.accessToken);
});

test('refresh rotates the pair; the old refresh token is dead afterwards', async (t) => {
  const { store } = newStore();
  t.after(() => store.dispose());
  await store.signIn(MOCK_ADMIN.email, MOCK_ADMIN.password);
  const first = store.getSnapshot().session;
  // Two concurrent refreshes share one request (a second would reuse a rotated token).
  const [a, b] = await Promise.all([store.refresh(), store.refresh()]);
  assert.equal(a && b, true);
  const second = store.getSnapshot().session;
  assert.notEqual(second.refreshToken, first.refreshToken);
  assert.notEqual(second.accessToken, first.accessToken);
  assert.equal(gateway.state.refreshTokens.has(first.refreshToken), false);
  assert.equal(gateway.state.refreshTokens.has(second.refreshToken), true);
});

test('a refused refresh signs out with the reason', async (t) => {
  const { store, storage } = newStore();
  t.after(() => store.dispose());
  await store.signIn(MOCK_ADMIN.email, MOCK_ADMIN.password);
  gateway.state.refreshTokens.clear(); // the server revoked everything
  assert.equal(await store.refresh(), false);
  const state = store.getSnapshot();
  assert.equal(state.session, null);
  assert.match(state.error, /Invalid refresh token/);
  assert.equal(storage.items.size, 0);
});

test('an unreachable server keeps the session for a retry', async (t) => {
  const storage = new MemoryStorage();
  const { store } = newStore(storage);
  t.after(() => store.dispose());
  await store.signIn(MOCK_ADMIN.email, MOCK_ADMIN.password);
  const offline = new SessionStore({ storage, endpoint: 'http://127.0.0.1:1/graphql' });
  t.after(() => offline.dispose());
  assert.equal(await offline.refresh(), false);
  assert.notEqual(offline.getSnapshot().session, null);
  assert.match(offline.getSnapshot().error, /retrying/);
});

test('an expired access token is refreshed before it is handed out', async (t) => {
  const storage = new MemoryStorage();
  const { store } = newStore(storage);
  t.after(() => store.dispose());
  await store.signIn(MOCK_ADMIN.email, MOCK_ADMIN.password);
  const stored = JSON.parse(storage.getItem('platform-playground.session'));
  storage.setItem('platform-playground.session', JSON.stringify({ ...stored, expiresAt: Date.now() - 1 }));
  const reloaded = new SessionStore({ storage, endpoint });
  t.after(() => reloaded.dispose());
  const token = await reloaded.accessToken();
  assert.notEqual(token, stored.accessToken);
  assert.equal(token, reloaded.getSnapshot().session.accessToken);
});

test('sign-out forgets the session and revokes the refresh token on the server', async (t) => {
  const { store, storage } = newStore();
  t.after(() => store.dispose());
  await store.signIn(MOCK_ADMIN.email, MOCK_ADMIN.password);
  const { refreshToken } = store.getSnapshot().session;
  await store.signOut();
  assert.equal(store.getSnapshot().session, null);
  assert.equal(storage.items.size, 0);
  assert.equal(gateway.state.refreshTokens.has(refreshToken), false);
});

test('refreshDelay refreshes a minute early, earlier for short tokens, never in a tight loop', () => {
  assert.equal(refreshDelay(15 * 60_000), 14 * 60_000);
  assert.equal(refreshDelay(10_000), 8_000);
  assert.equal(refreshDelay(500), 1_000);
  assert.equal(refreshDelay(-5), 0);
});

test('the fetcher sends the bearer token and the plan header, and moves the plan to the pane', async (t) => {
  const { store } = newStore();
  t.after(() => store.dispose());
  await store.signIn(MOCK_ADMIN.email, MOCK_ADMIN.password);
  const plans = new PlanStore();
  const fetcher = createFetcher(store, plans, endpoint);

  const result = await fetcher(
    { query: '{ me { email posts { title } } }', operationName: 'Stale' },
    { headers: {} },
  );
  assert.deepEqual(result.errors, undefined);
  assert.equal(result.data.me.email, MOCK_ADMIN.email);
  assert.equal(result.extensions, undefined, 'the plan is not left in the result');
  const sent = gateway.state.requests.at(-1);
  assert.equal(sent.headers.authorization, `Bearer ${store.getSnapshot().session.accessToken}`);
  assert.equal(sent.headers['x-query-plan'], 'include');
  assert.equal(
    sent.body.operationName,
    null,
    'a stale operation name is dropped for a single anonymous operation',
  );

  const state = plans.getSnapshot();
  assert.equal(state.status, 'ready');
  assert.equal(typeof state.plan.text, 'string');
  assert.equal(state.plan.tree.node.kind, 'Sequence');
});

test('the fetcher keeps a hand-written Authorization header and leaves introspection alone', async (t) => {
  const { store } = newStore();
  t.after(() => store.dispose());
  await store.signIn(MOCK_ADMIN.email, MOCK_ADMIN.password);
  const plans = new PlanStore();
  const fetcher = createFetcher(store, plans, endpoint);

  const result = await fetcher(
    { query: '{ me { id } }' },
    { headers: { Authorization: 'Bearer hand-written' } },
  );
  assert.equal(gateway.state.requests.at(-1).headers.authorization, 'Bearer hand-written');
  assert.equal(result.errors[0].extensions.code, 'UNAUTHENTICATED');

  // No data (here: a validation error) means no plan; the pane says why.
  await fetcher({ query: '{ nope }' }, {});
  const missing = plans.getSnapshot();
  assert.equal(missing.status, 'missing');
  assert.match(missing.reason, /failed before planning/);

  const before = plans.getSnapshot();
  const introspection = await fetcher(
    {
      query: 'query IntrospectionQuery { __schema { queryType { name } } }',
      operationName: 'IntrospectionQuery',
    },
    {},
  );
  assert.equal(introspection.data.__schema.queryType.name, 'Query');
  assert.equal(gateway.state.requests.at(-1).headers['x-query-plan'], undefined);
  assert.equal(plans.getSnapshot(), before, 'introspection does not touch the plan pane');
});

test('takePlan removes only the plan from extensions', () => {
  const onlyPlan = { data: {}, extensions: { queryPlan: { text: 'x' } } };
  assert.deepEqual(takePlan(onlyPlan), { text: 'x' });
  assert.deepEqual(onlyPlan, { data: {} });
  const more = { data: {}, extensions: { queryPlan: 'p', cost: 3 } };
  assert.equal(takePlan(more), 'p');
  assert.deepEqual(more, { data: {}, extensions: { cost: 3 } });
  assert.equal(takePlan({ data: {} }), undefined);
});

test('resolveOperationName keeps valid names and fixes stale ones only when unambiguous', () => {
  const two = 'query A { a } query B { b }';
  assert.equal(resolveOperationName(two, 'B'), 'B');
  assert.equal(resolveOperationName(two, 'Gone'), 'Gone');
  assert.equal(resolveOperationName('query Me { me { id } }', 'Old'), 'Me');
  assert.equal(resolveOperationName('{ me { id } }', 'Old'), null);
  assert.equal(resolveOperationName('{ broken', 'X'), 'X');
});

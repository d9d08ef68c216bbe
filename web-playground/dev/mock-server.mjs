#!/usr/bin/env node
// A stand-in gateway for developing the playground without the Rust platform: serves the built
// `dist/index.html` at `/` and `/playground`, and answers `/graphql` from a small in-memory
// schema (login/refresh/logout with unsigned JWTs, `me`, `posts`), adding a made-up
// `extensions.queryPlan` when asked with `x-query-plan: include`. Development only: the CI test
// runs against `platform dev`.
//
//   node dev/mock-server.mjs   # PORT=4000, MOCK_TOKEN_TTL=120 (seconds), MOCK_EXPOSE_QUERY_PLAN=1
//
// Also imported by the unit tests (`startMockGateway`) as a real HTTP peer for the session code.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, graphql, parse, Kind } from 'graphql';

const here = dirname(fileURLToPath(import.meta.url));

// Mirrors the identity subgraph's auth shapes (subgraphs/identity/src/graphql) plus a blog field.
const schema = buildSchema(`
  type Query {
    "The signed-in user (identity)."
    me: User
    "Published posts (blog)."
    posts(first: Int = 10): [Post!]!
  }
  type Mutation {
    login(email: String!, password: String!): AuthPayload!
    "Exchanges a refresh token for a new access and refresh token (the old one is spent)."
    refreshToken(refreshToken: String!): AuthPayload!
    logout(refreshToken: String, all: Boolean! = false): Boolean!
  }
  type AuthPayload {
    accessToken: String!
    refreshToken: String!
    tokenType: String!
    "Access token expiry, unix seconds."
    expiresAt: Int!
    user: User!
  }
  type User { id: ID!, username: String!, email: String!, posts: [Post!]! }
  type Post { id: ID!, title: String!, author: User! }
`);

const admin = {
  id: '0193a1b2-0000-7000-8000-000000000001',
  email: 'admin@example.com',
  password: 'admin-password',
};
const posts = [
  { id: 'p1', title: 'Hello federation', authorId: admin.id },
  { id: 'p2', title: 'Query plans, explained', authorId: admin.id },
];

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Users and posts are fixed; tokens are per gateway instance. */
class MockState {
  constructor(tokenTtl, exposeQueryPlan) {
    this.tokenTtl = tokenTtl;
    this.exposeQueryPlan = exposeQueryPlan;
    this.refreshTokens = new Map(); // live refresh token -> user id
    /** Every /graphql request: `{ headers, body }`, for tests to inspect. */
    this.requests = [];
  }

  issue(user) {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: user.id,
      email: user.email,
      roles: ['admin'],
      scope: 'platform.user.read platform.user.write blog.post.publish audit.entry.read authz.role.assign',
      iss: 'mock',
      aud: 'platform',
      iat: now,
      exp: now + this.tokenTtl,
      jti: randomUUID(),
    };
    const refreshToken = randomUUID();
    this.refreshTokens.set(refreshToken, user.id);
    return {
      accessToken: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.mock`,
      refreshToken,
      tokenType: 'Bearer',
      expiresAt: now + this.tokenTtl,
      user: userView(user),
    };
  }

  rootValue(req) {
    return {
      me: () => {
        const user = bearerUser(req);
        if (!user)
          throw Object.assign(new Error('Not signed in'), { extensions: { code: 'UNAUTHENTICATED' } });
        return userView(user);
      },
      posts: ({ first }) => posts.slice(0, first).map(postView),
      login: ({ email, password }) => {
        if (email !== admin.email || password !== admin.password) {
          throw new Error('Invalid email or password');
        }
        return this.issue(admin);
      },
      // Rotation: a refresh token works once.
      refreshToken: ({ refreshToken }) => {
        if (!this.refreshTokens.delete(refreshToken)) throw new Error('Invalid refresh token');
        return this.issue(admin);
      },
      logout: ({ refreshToken, all }) => {
        if (all) this.refreshTokens.clear();
        return refreshToken ? this.refreshTokens.delete(refreshToken) : true;
      },
    };
  }
}

function userView(user) {
  return {
    id: user.id,
    email: user.email,
    username: 'admin',
    posts: () => posts.filter((p) => p.authorId === user.id).map(postView),
  };
}

function postView(post) {
  return { id: post.id, title: post.title, author: () => userView(admin) };
}

function bearerUser(req) {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (!match) return null;
  try {
    const claims = JSON.parse(Buffer.from(match[1].split('.')[1], 'base64url').toString());
    return claims.exp * 1000 > Date.now() && claims.sub === admin.id ? admin : null;
  } catch {
    return null;
  }
}

/** A plausible plan: identity owns `me`/users, blog owns `posts` and `User.posts`. */
function fakePlan(query, operationName) {
  let document;
  try {
    document = parse(query);
  } catch {
    return null;
  }
  const operation = document.definitions.find(
    (d) => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  if (!operation) return null;
  const kind = operation.operation === 'mutation' ? 'Mutation' : 'Query';
  const fetches = [];
  const flattens = [];
  for (const field of operation.selectionSet.selections) {
    if (field.kind !== Kind.FIELD || field.name.value.startsWith('__')) continue;
    const key = field.alias?.value ?? field.name.value;
    const subgraph = ['posts'].includes(field.name.value) ? 'blog' : 'identity';
    fetches.push({ subgraph, field: field.name.value });
    const nestedPosts = field.selectionSet?.selections.some(
      (s) => s.kind === Kind.FIELD && s.name.value === 'posts',
    );
    if (subgraph === 'identity' && nestedPosts) flattens.push({ path: [{ Field: key }], subgraph: 'blog' });
  }
  if (fetches.length === 0) return { text: 'QueryPlan {}', tree: { node: null } };
  const fetchNode = (subgraph, operationText, requires = []) => ({
    kind: 'Fetch',
    subgraph,
    operation_kind: kind,
    operation: operationText,
    operation_name: null,
    variable_usages: [],
    requires,
    input_rewrites: [],
    output_rewrites: [],
  });
  const roots = fetches.map((f) => fetchNode(f.subgraph, `{ ${f.field} { __typename id } }`));
  const rootNode = roots.length === 1 ? roots[0] : { kind: 'Parallel', nodes: roots };
  const entityNodes = flattens.map((f) => ({
    kind: 'Flatten',
    path: f.path,
    node: fetchNode(
      f.subgraph,
      'query($representations:[_Any!]!){_entities(representations:$representations){...on User{posts{id title}}}}',
      [
        {
          InlineFragment: {
            type_condition: 'User',
            selections: [
              { Field: { response_key: '__typename', name: '__typename', selections: [] } },
              { Field: { response_key: 'id', name: 'id', selections: [] } },
            ],
          },
        },
      ],
    ),
  }));
  const node = entityNodes.length ? { kind: 'Sequence', nodes: [rootNode, ...entityNodes] } : rootNode;
  return { text: printPlan(node), tree: { node } };
}

function printPlan(node, indent = '  ') {
  const inner = (n, pad) => {
    switch (n.kind) {
      case 'Fetch':
        return `${pad}Fetch(service: "${n.subgraph}") {\n${pad}  ${n.operation}\n${pad}}`;
      case 'Flatten':
        return `${pad}Flatten(path: "${n.path.map((p) => (p === 'List' ? '@' : p.Field)).join('.')}") {\n${inner(n.node, pad + '  ')}\n${pad}}`;
      default:
        return `${pad}${n.kind} {\n${n.nodes.map((c) => inner(c, pad + '  ')).join(',\n')}\n${pad}}`;
    }
  };
  return `QueryPlan {\n${inner(node, indent)}\n}`;
}

async function handleGraphql(state, req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  let body;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
  } catch {
    return send(res, 400, { errors: [{ message: 'Body is not JSON' }] });
  }
  state.requests.push({ headers: req.headers, body });
  const result = await graphql({
    schema,
    source: body.query ?? '',
    rootValue: state.rootValue(req),
    variableValues: body.variables,
    operationName: body.operationName,
  });
  const response = JSON.parse(JSON.stringify(result));
  if (state.exposeQueryPlan && req.headers['x-query-plan'] === 'include' && result.data) {
    const plan = fakePlan(body.query, body.operationName);
    if (plan) response.extensions = { ...(response.extensions ?? {}), queryPlan: plan };
  }
  send(res, 200, response);
}

function send(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/graphql-response+json' });
  res.end(JSON.stringify(value));
}

/**
 * Starts the mock on 127.0.0.1 (`port` 0 picks a free one). Resolves to `{ url, state, close }`;
 * `url` has no trailing slash.
 */
export function startMockGateway({ port = 0, tokenTtl = 120, exposeQueryPlan = true } = {}) {
  const state = new MockState(tokenTtl, exposeQueryPlan);
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    try {
      if (path === '/graphql' && req.method === 'POST') return await handleGraphql(state, req, res);
      if ((path === '/' || path === '/playground') && req.method === 'GET') {
        const html = await readFile(join(here, '..', 'dist', 'index.html'));
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(html);
      }
      res.writeHead(404).end('not found');
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address();
      resolve({
        url: `http://127.0.0.1:${bound}`,
        state,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

export const MOCK_ADMIN = { email: admin.email, password: admin.password };

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const gateway = await startMockGateway({
    port: Number(process.env.PORT ?? 4000),
    tokenTtl: Number(process.env.MOCK_TOKEN_TTL ?? 120),
    exposeQueryPlan: process.env.MOCK_EXPOSE_QUERY_PLAN !== '0',
  });
  console.log(`mock gateway on ${gateway.url}/ (sign in as ${admin.email} / ${admin.password})`);
}

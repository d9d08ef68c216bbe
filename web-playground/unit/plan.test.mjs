import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from './load.mjs';

const { readPlan, isPlanNode, printFlattenPath, printRequires, printRewrite, countFetches } =
  await load('src/plan/read.ts');

// Shaped as serde serializes gateway/federation/src/plan.rs.
const fetch = (subgraph, requires = []) => ({
  kind: 'Fetch',
  subgraph,
  operation_kind: 'Query',
  operation: '{ me { __typename id } }',
  operation_name: null,
  variable_usages: [],
  requires,
  input_rewrites: [],
  output_rewrites: [],
});
const plan = {
  kind: 'Sequence',
  nodes: [
    fetch('identity'),
    {
      kind: 'Parallel',
      nodes: [
        { kind: 'Flatten', path: [{ Field: 'me' }, { Field: 'posts' }, 'List'], node: fetch('blog') },
        {
          kind: 'Condition',
          variable: 'withAudit',
          if_clause: { kind: 'Flatten', path: [{ Field: 'me' }], node: fetch('audit') },
          else_clause: null,
        },
      ],
    },
  ],
};

test('readPlan takes the tree of {text, tree} whether tree is a QueryPlan or a node', () => {
  assert.deepEqual(readPlan({ text: 'QueryPlan {…}', tree: { node: plan } }), {
    kind: 'tree',
    root: plan,
    text: 'QueryPlan {…}',
  });
  assert.deepEqual(readPlan({ text: 'QueryPlan {…}', tree: plan }), {
    kind: 'tree',
    root: plan,
    text: 'QueryPlan {…}',
  });
  assert.deepEqual(readPlan({ tree: { node: null } }), { kind: 'tree', root: null, text: null });
});

test('readPlan accepts a bare QueryPlan, a bare node and a printed string', () => {
  assert.deepEqual(readPlan({ node: plan }), { kind: 'tree', root: plan, text: null });
  assert.deepEqual(readPlan(plan), { kind: 'tree', root: plan, text: null });
  assert.deepEqual(readPlan('QueryPlan {}'), { kind: 'text', text: 'QueryPlan {}' });
});

test('readPlan falls back to the text, then to raw JSON, for trees it does not know', () => {
  const unknown = { kind: 'Defer', primary: {} };
  assert.deepEqual(readPlan({ text: 'printed', tree: unknown }), { kind: 'text', text: 'printed' });
  assert.deepEqual(readPlan({ tree: unknown }), { kind: 'raw', value: { tree: unknown } });
  assert.deepEqual(readPlan(42), { kind: 'raw', value: 42 });
  // A known kind with a broken child is not a plan either.
  assert.equal(isPlanNode({ kind: 'Sequence', nodes: [fetch('a'), { kind: 'Fetch' }] }), false);
});

test('countFetches counts every fetch, both condition branches included', () => {
  assert.equal(countFetches(plan), 3);
  assert.equal(countFetches(null), 0);
});

test('printFlattenPath writes list steps as @', () => {
  assert.equal(
    printFlattenPath([{ Field: 'me' }, { Field: 'posts' }, 'List', { Field: 'author' }]),
    'me.posts.@.author',
  );
});

test('printRequires prints fragments, nested fields and renamed keys', () => {
  const requires = [
    {
      InlineFragment: {
        type_condition: 'User',
        selections: [
          { Field: { response_key: '__typename', name: '__typename', selections: [] } },
          { Field: { response_key: 'id', name: 'id', selections: [] } },
          {
            Field: {
              response_key: 'org_alias',
              name: 'organization',
              selections: [{ Field: { response_key: 'id', name: 'id', selections: [] } }],
            },
          },
        ],
      },
    },
  ];
  assert.equal(printRequires(requires), '... on User { __typename id org_alias: organization { id } }');
  assert.equal(
    printRequires([
      {
        InlineFragment: {
          type_condition: null,
          selections: [{ Field: { response_key: 'id', name: 'id', selections: [] } }],
        },
      },
    ]),
    '... { id }',
  );
});

test('printRewrite shows value setters and key renamers', () => {
  assert.equal(
    printRewrite({ ValueSetter: { path: [{ Key: '__typename' }], value: 'Node' } }),
    'set __typename = "Node"',
  );
  assert.equal(
    printRewrite({
      KeyRenamer: { path: [{ TypenameEquals: 'Post' }, { Key: 'title__alias' }], rename_key_to: 'title' },
    }),
    'rename ... on Post/title__alias → title',
  );
});

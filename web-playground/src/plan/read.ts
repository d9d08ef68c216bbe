// Turns whatever the gateway put in `extensions.queryPlan` into something the pane can show,
// and prints the small pieces (paths, requires, rewrites) the tree view needs. Unknown shapes
// are reported, not guessed at: the pane then falls back to the text form or raw JSON.
import type {
  FetchRewrite,
  FlattenPathElement,
  PlanExtension,
  PlanNode,
  RequireSelection,
  RewritePathElement,
} from './types';

export type ReadPlan =
  /** A plan tree; `root` is null when no subgraph was needed. */
  | { kind: 'tree'; root: PlanNode | null; text: string | null }
  | { kind: 'text'; text: string }
  | { kind: 'raw'; value: unknown };

const NODE_KINDS = new Set(['Sequence', 'Parallel', 'Fetch', 'Flatten', 'Condition']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A structurally valid plan node (recursively), so rendering never meets a surprise. */
export function isPlanNode(v: unknown): v is PlanNode {
  if (!isObject(v) || typeof v.kind !== 'string' || !NODE_KINDS.has(v.kind)) return false;
  switch (v.kind) {
    case 'Sequence':
    case 'Parallel':
      return Array.isArray(v.nodes) && v.nodes.every(isPlanNode);
    case 'Fetch':
      return typeof v.subgraph === 'string' && typeof v.operation === 'string';
    case 'Flatten':
      return Array.isArray(v.path) && isPlanNode(v.node);
    case 'Condition':
      return (
        typeof v.variable === 'string' &&
        (v.if_clause == null || isPlanNode(v.if_clause)) &&
        (v.else_clause == null || isPlanNode(v.else_clause))
      );
    default:
      return false;
  }
}

/** Accepts `{text, tree}`, a bare `QueryPlan` (`{node}`), a bare node, or a printed string. */
export function readPlan(value: unknown): ReadPlan {
  if (typeof value === 'string') return { kind: 'text', text: value };
  if (!isObject(value)) return { kind: 'raw', value };
  const ext = value as PlanExtension;
  const text = typeof ext.text === 'string' ? ext.text : null;
  if ('tree' in value) {
    const tree = fromTree(ext.tree);
    if (tree !== undefined) return { kind: 'tree', root: tree, text };
    if (text !== null) return { kind: 'text', text };
    return { kind: 'raw', value };
  }
  if (text !== null) return { kind: 'text', text };
  const tree = fromTree(value);
  return tree !== undefined ? { kind: 'tree', root: tree, text: null } : { kind: 'raw', value };
}

/** `undefined` when `tree` is not a plan; `null` for an empty plan. */
function fromTree(tree: unknown): PlanNode | null | undefined {
  if (isPlanNode(tree)) return tree;
  if (isObject(tree) && 'node' in tree) {
    if (tree.node === null) return null;
    if (isPlanNode(tree.node)) return tree.node;
  }
  return undefined;
}

/** `posts.@.author`, as the printed plan writes flatten paths. */
export function printFlattenPath(path: FlattenPathElement[]): string {
  return path.map((p) => (p === 'List' ? '@' : isObject(p) && 'Field' in p ? p.Field : '?')).join('.');
}

/** `... on User { id organization { id } }` for the representation shape. */
export function printRequires(selections: RequireSelection[]): string {
  return selections.map(printRequire).join(' ');
}

function printRequire(s: RequireSelection): string {
  if ('Field' in s) {
    const f = s.Field;
    const head = f.response_key === f.name ? f.name : `${f.response_key}: ${f.name}`;
    return f.selections.length ? `${head} { ${printRequires(f.selections)} }` : head;
  }
  const fragment = s.InlineFragment;
  const on = fragment.type_condition ? ` on ${fragment.type_condition}` : '';
  return `...${on} { ${printRequires(fragment.selections)} }`;
}

function printRewritePath(path: RewritePathElement[]): string {
  return path.map((p) => ('Key' in p ? p.Key : `... on ${p.TypenameEquals}`)).join('/');
}

export function printRewrite(r: FetchRewrite): string {
  if ('ValueSetter' in r) {
    return `set ${printRewritePath(r.ValueSetter.path)} = ${JSON.stringify(r.ValueSetter.value)}`;
  }
  return `rename ${printRewritePath(r.KeyRenamer.path)} → ${r.KeyRenamer.rename_key_to}`;
}

/** Number of fetches in a plan: shown in the pane's summary line. */
export function countFetches(node: PlanNode | null): number {
  if (!node) return 0;
  switch (node.kind) {
    case 'Fetch':
      return 1;
    case 'Flatten':
      return countFetches(node.node);
    case 'Condition':
      return countFetches(node.if_clause) + countFetches(node.else_clause);
    case 'Sequence':
    case 'Parallel':
      return node.nodes.reduce((n, child) => n + countFetches(child), 0);
  }
}

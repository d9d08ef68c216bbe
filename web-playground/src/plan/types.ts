// The query plan as the gateway serializes it: serde JSON of `gateway/federation/src/plan.rs`.
// `PlanNode` is internally tagged by `kind`; the other enums are externally tagged.

export interface QueryPlan {
  node: PlanNode | null;
}

export type PlanNode = SequenceNode | ParallelNode | FetchNode | FlattenNode | ConditionNode;

export interface SequenceNode {
  kind: 'Sequence';
  nodes: PlanNode[];
}

export interface ParallelNode {
  kind: 'Parallel';
  nodes: PlanNode[];
}

export type OperationKind = 'Query' | 'Mutation' | 'Subscription';

export interface FetchNode {
  kind: 'Fetch';
  subgraph: string;
  operation_kind: OperationKind;
  operation: string;
  operation_name: string | null;
  variable_usages: string[];
  requires: RequireSelection[];
  input_rewrites: FetchRewrite[];
  output_rewrites: FetchRewrite[];
}

export type RequireSelection =
  | { Field: { response_key: string; name: string; selections: RequireSelection[] } }
  | { InlineFragment: { type_condition: string | null; selections: RequireSelection[] } };

export type RewritePathElement = { Key: string } | { TypenameEquals: string };

export type FetchRewrite =
  | { ValueSetter: { path: RewritePathElement[]; value: unknown } }
  | { KeyRenamer: { path: RewritePathElement[]; rename_key_to: string } };

export type FlattenPathElement = { Field: string } | 'List';

export interface FlattenNode {
  kind: 'Flatten';
  path: FlattenPathElement[];
  node: PlanNode;
}

export interface ConditionNode {
  kind: 'Condition';
  variable: string;
  if_clause: PlanNode | null;
  else_clause: PlanNode | null;
}

/** `extensions.queryPlan` of a response: the printed plan and its JSON tree. */
export interface PlanExtension {
  text?: string;
  tree?: unknown;
}

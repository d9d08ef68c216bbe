// One GraphQL-over-HTTP POST to the gateway on the same origin.

export const GRAPHQL_ENDPOINT = '/graphql';

export interface GraphqlError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

export interface GraphqlResponse {
  data?: Record<string, unknown> | null;
  errors?: GraphqlError[];
  extensions?: Record<string, unknown>;
}

export interface GraphqlRequest {
  query: string;
  operationName?: string | null;
  variables?: unknown;
}

/**
 * Sends `request` to `endpoint` and returns the decoded response. Transport failures and non-JSON
 * bodies are turned into a response with one error, so callers (and the result pane) always get
 * a GraphQL-shaped answer.
 */
export async function postGraphql(
  request: GraphqlRequest,
  headers: Record<string, string>,
  endpoint: string = GRAPHQL_ENDPOINT,
): Promise<GraphqlResponse> {
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        accept: 'application/graphql-response+json, application/json',
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify(request),
    });
  } catch (error) {
    const failed: GraphqlResponse = { errors: [{ message: `Network error: ${describe(error)}` }] };
    transportFailures.add(failed);
    return failed;
  }
  const text = await response.text();
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed as GraphqlResponse;
    }
  } catch {
    // Fall through: not JSON (a proxy error page, an empty body).
  }
  const snippet = text.length > 500 ? `${text.slice(0, 500)}…` : text;
  return {
    errors: [{ message: `HTTP ${response.status} ${response.statusText}: ${snippet || '(empty body)'}` }],
  };
}

const transportFailures = new WeakSet<GraphqlResponse>();

/** True when the request never got an answer (the server may not have judged it at all). */
export function isTransportFailure(response: GraphqlResponse): boolean {
  return transportFailures.has(response);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The errors of a response as one line, for status messages. */
export function errorSummary(response: GraphqlResponse): string | null {
  if (!response.errors || response.errors.length === 0) return null;
  return response.errors
    .map((e) => {
      const code = typeof e.extensions?.code === 'string' ? ` (${e.extensions.code})` : '';
      return `${e.message}${code}`;
    })
    .join('; ');
}

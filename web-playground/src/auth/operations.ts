// The identity subgraph's auth operations, as the playground sends them through the gateway.
// Kept in one place so a schema change means editing only these strings. They match
// `subgraphs/identity/src/graphql/mutation.rs`: `login(email:, password:)`,
// `refreshToken(refreshToken:)` and `logout(refreshToken:, all:)`, with `AuthPayload.expiresAt` in
// unix seconds. (Should `login` move to an input object, write
// `login(input: { email: $email, password: $password })`: the variables stay the same.)

/** Returns `{ accessToken refreshToken expiresAt user { id email } }` under `login`. */
export const LOGIN_MUTATION = `mutation PlaygroundLogin($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    accessToken
    refreshToken
    expiresAt
    user { id email }
  }
}`;

/** Rotates the refresh token: returns a new pair under `refreshToken`. */
export const REFRESH_MUTATION = `mutation PlaygroundRefresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) {
    accessToken
    refreshToken
    expiresAt
    user { id email }
  }
}`;

/** Revokes the refresh token (and its family) on the server. */
export const LOGOUT_MUTATION = `mutation PlaygroundLogout($refreshToken: String!) {
  logout(refreshToken: $refreshToken)
}`;

/** Response field names the code reads, next to the operations that produce them. */
export const LOGIN_FIELD = 'login';
export const REFRESH_FIELD = 'refreshToken';

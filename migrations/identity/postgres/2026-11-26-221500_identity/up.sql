-- Identity: users, credentials, tokens, signing keys, login attempts, dev mail.
-- Portable types only (TEXT ids, BIGINT unix-ms timestamps, BOOLEAN) so one diesel schema
-- serves PostgreSQL and SQLite.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    -- lowercased email: uniqueness is case-insensitive
    email_normalized TEXT NOT NULL,
    username TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email_normalized_key ON users (email_normalized);
CREATE UNIQUE INDEX users_username_key ON users (username);

CREATE TABLE password_credentials (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- argon2id PHC string
    password_hash TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 hex of the token; the token itself is never stored
    token_hash TEXT NOT NULL,
    family_id TEXT NOT NULL,
    rotated_from TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- set when the token was exchanged for its successor; a second use is a reuse
    rotated_at BIGINT,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE one_time_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- 'verify_email' or 'reset_password'
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE UNIQUE INDEX one_time_tokens_token_hash_key ON one_time_tokens (token_hash);
CREATE INDEX one_time_tokens_user_idx ON one_time_tokens (user_id, purpose);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    -- base64 PKCS#8 DER, in the form named by key_encryption ('none' for plaintext)
    private_key TEXT NOT NULL,
    key_encryption TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- the key stops signing when set and leaves the JWKS once this time has passed
    retired_at BIGINT
);

CREATE TABLE login_attempts (
    id TEXT PRIMARY KEY,
    -- normalized email as typed, whether or not such an account exists
    account_key TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX login_attempts_account_idx ON login_attempts (account_key, created_at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (client_ip, created_at);

CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_outbox_recipient_idx ON mail_outbox (recipient, created_at);

-- The permission registry (seeded from module manifests), roles, their grants, and
-- who holds which role. Portable types only: ids TEXT, timestamps BIGINT unix ms.
CREATE TABLE permissions (
    code TEXT PRIMARY KEY NOT NULL,
    module TEXT NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE roles (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    built_in BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT roles_name_key UNIQUE (name)
);

CREATE TABLE role_permissions (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_code TEXT NOT NULL REFERENCES permissions (code) ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_code)
);

CREATE INDEX role_permissions_code ON role_permissions (permission_code);

-- The implicit `user` role is never stored here: every user holds it.
CREATE TABLE user_roles (
    user_id TEXT NOT NULL,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    granted_by TEXT,
    granted_at BIGINT NOT NULL,
    expires_at BIGINT,
    PRIMARY KEY (user_id, role_id)
);

CREATE INDEX user_roles_role ON user_roles (role_id);

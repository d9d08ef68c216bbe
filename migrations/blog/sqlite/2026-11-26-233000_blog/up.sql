-- Blog: posts and their comments. Portable types only (TEXT ids, BIGINT unix-ms timestamps)
-- so one diesel schema serves PostgreSQL and SQLite. Authors are identity's user ids; no
-- foreign key crosses subgraphs.

CREATE TABLE posts (
    id TEXT PRIMARY KEY,
    author_id TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    slug TEXT NOT NULL,
    -- DRAFT, PUBLISHED or ARCHIVED
    status TEXT NOT NULL CHECK (status IN ('DRAFT', 'PUBLISHED', 'ARCHIVED')),
    published_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX posts_slug_key ON posts (slug);
CREATE INDEX posts_author_id_idx ON posts (author_id);
CREATE INDEX posts_status_idx ON posts (status);

CREATE TABLE comments (
    id TEXT PRIMARY KEY,
    post_id TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX comments_post_id_idx ON comments (post_id);

DROP TABLE mail_outbox;
DROP TABLE login_attempts;
DROP TABLE signing_keys;
DROP TABLE one_time_tokens;
DROP TABLE refresh_tokens;
DROP TABLE password_credentials;
DROP TABLE users;

-- Who a user is, for the history and the audit log: full name and unit (both optional; the login
-- name stays the key).
ALTER TABLE users ADD COLUMN full_name TEXT;
ALTER TABLE users ADD COLUMN unit TEXT;

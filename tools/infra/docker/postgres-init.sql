-- Run once by the postgres image on an empty volume (docker-compose.yml mounts it into
-- /docker-entrypoint-initdb.d), as the superuser `postgres`. The same roles as `npm run infra:up`
-- creates: the application role may create roles (migrations create a service role) and owns
-- database m2m, but is no superuser.
CREATE ROLE m2m WITH LOGIN CREATEROLE NOSUPERUSER PASSWORD 'm2m';
CREATE DATABASE m2m OWNER m2m;
-- The audit service runs as this role; at start it is granted only reading and appending its log
-- (grantAuditServiceRole), while migrations run as the schema owner m2m (M2M_DATABASE_MIGRATION_URL).
CREATE ROLE m2m_audit WITH LOGIN NOSUPERUSER PASSWORD 'm2m_audit';

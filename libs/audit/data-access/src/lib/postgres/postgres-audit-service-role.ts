import type { PgExecutor } from '@m2m-trust/shared-postgres';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export interface AuditServiceRoleOptions {
  /** The audit service's schema, where the migrations created the log. */
  readonly schema: string;
  /** The role the audit service connects as (the user of its database URL). */
  readonly role: string;
}

/**
 * Gives the audit service's role exactly what it needs and nothing more:
 * reading and appending the log, its Merkle tree and its checkpoints, saving and deleting
 * named queries, and keeping webhook subscriptions and their delivery checkpoints. Without UPDATE, DELETE or TRUNCATE the role cannot rewrite
 * the log even if the append-only triggers were dropped; without CREATE it
 * cannot add objects to the schema. Creates the role (NOLOGIN) when missing,
 * so the grants never depend on provisioning order: whoever provisions
 * credentials then makes it LOGIN with a password, or grants it to a login role.
 *
 * Run it as the schema owner (the migration URL), after the migrations, on
 * every start: it is idempotent, revokes anything granted beyond this list,
 * and picks up tables added by later migrations once they are listed here.
 * One statement batch, so one implicit transaction: never half-granted.
 * Refuses a role that is a superuser or a member of the log's owner, which
 * could rewrite the log whatever is granted.
 */
export async function grantAuditServiceRole(executor: PgExecutor, options: AuditServiceRoleOptions): Promise<void> {
  const { schema, role } = options;
  for (const [what, name] of [
    ['schema', schema],
    ['role', role],
  ] as const) {
    if (!IDENTIFIER.test(name)) throw new Error(`${what} name "${name}" is not a plain lowercase identifier`);
  }
  const s = `"${schema}"`;
  const r = `"${role}"`;
  // Identifiers are checked above, so they can be inlined: a parameterless batch runs in one implicit transaction.
  await executor.query(`
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
        CREATE ROLE ${r} NOLOGIN;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- another instance created it meanwhile
    END
    $$;
    DO $$
    DECLARE
      owner name := (SELECT tableowner FROM pg_tables WHERE schemaname = '${schema}' AND tablename = 'audit_events');
    BEGIN
      IF owner IS NULL THEN
        RAISE EXCEPTION 'no audit_events table in schema ${schema}: run the audit migrations first';
      END IF;
      IF (SELECT rolsuper FROM pg_roles WHERE rolname = '${role}') OR pg_has_role('${role}', owner, 'MEMBER') THEN
        RAISE EXCEPTION 'role ${role} is a superuser or a member of %, the owner of the audit log: it could rewrite it', owner;
      END IF;
    END
    $$;
    REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${r};
    REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM ${r};
    REVOKE ALL ON SCHEMA ${s} FROM ${r};
    GRANT USAGE ON SCHEMA ${s} TO ${r};
    GRANT SELECT, INSERT ON ${s}.audit_events, ${s}.audit_checkpoints, ${s}.audit_tree TO ${r};
    GRANT SELECT, INSERT, DELETE ON ${s}.epcis_named_queries TO ${r};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ${s}.epcis_query_subscriptions TO ${r};
  `);
}

import type { Kysely } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const t = columnTypes(dialect);

  // The organization tree. The one-database module extends it with work units and more.
  await db.schema
    .createTable('organization')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('parent_id', 'text', (c) => c.references('organization.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('level', 'text')
    .addColumn('region_code', 'text')
    .addColumn('path', t.path, (c) => c.notNull().unique())
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('organization_parent').on('organization').columns(['parent_id', 'name']).execute();

  await db.schema
    .createTable('user_account')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('phone_cipher', 'text')
    .addColumn('phone_index', 'text', (c) => c.unique())
    .addColumn('org_id', 'text', (c) => c.references('organization.id'))
    .addColumn('org_path', t.path)
    .addColumn('province_root', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('password_changed_at', t.timestamp)
    .addColumn('password_must_change', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('totp_secret_cipher', 'text')
    .addColumn('totp_pending_cipher', 'text')
    .addColumn('totp_enabled_at', t.timestamp)
    .addColumn('totp_last_step', t.bigint)
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', t.timestamp)
    .addColumn('last_login_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('user_account_org').on('user_account').columns(['org_path']).execute();

  await db.schema
    .createTable('session')
    // The id is the SHA-256 of the cookie token: a leaked table does not yield live cookies.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('public_id', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', 'text', (c) => c.notNull().references('user_account.id'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('restriction', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('last_seen_at', t.timestamp, (c) => c.notNull())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addColumn('idle_timeout_s', 'integer', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('revoked_at', t.timestamp)
    .addColumn('revoked_reason', 'text')
    .execute();
  await db.schema.createIndex('session_user').on('session').columns(['user_id', 'revoked_at']).execute();

  await db.schema
    .createTable('role')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .addColumn('builtin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('separated_duty', 'text')
    .addColumn('user_kinds', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('role_permission')
    .addColumn('role_id', 'text', (c) => c.notNull().references('role.id'))
    .addColumn('permission', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('role_permission_pk', ['role_id', 'permission'])
    .execute();

  await db.schema
    .createTable('role_grant')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('user_account.id'))
    .addColumn('role_id', 'text', (c) => c.notNull().references('role.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('org_path', t.path, (c) => c.notNull())
    .addColumn('province_root', 'text', (c) => c.notNull())
    .addColumn('valid_from', t.timestamp, (c) => c.notNull())
    .addColumn('valid_to', t.timestamp)
    .addColumn('granted_by', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('revoked_at', t.timestamp)
    .addColumn('revoked_by', 'text')
    .execute();
  await db.schema.createIndex('role_grant_user').on('role_grant').columns(['user_id', 'revoked_at']).execute();
  await db.schema.createIndex('role_grant_org').on('role_grant').columns(['org_path']).execute();

  await db.schema
    .createTable('sms_code')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('phone_index', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addColumn('consumed_at', t.timestamp)
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('sms_code_phone').on('sms_code').columns(['phone_index', 'created_at']).execute();
  await db.schema.createIndex('sms_code_ip').on('sms_code').columns(['ip', 'created_at']).execute();

  await db.schema
    .createTable('totp_recovery')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('user_account.id'))
    .addColumn('org_path', t.path)
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_at', t.timestamp, (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', t.timestamp)
    .execute();
}

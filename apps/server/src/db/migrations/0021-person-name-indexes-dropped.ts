import type { Kysely } from 'kysely';

/**
 * The person's name and initials indexes go. Member search reads the copies on `membership`
 * (migrations 0008 and 0020), and the one other name filter (model workers) starts from its
 * own table in scope and reaches `person` by id. Every roster row paid for both indexes in
 * random order: about an eighth of the bare load of a person and a membership (decision 0011).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('person_name').execute();
  await db.schema.dropIndex('person_initials').execute();
}

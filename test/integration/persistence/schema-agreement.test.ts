import {
  AGGREGATE_COLUMNS,
  CONVERSATION_BINDING_COLUMNS,
  DISPATCH_RUN_COLUMNS,
  HANDOFF_COLUMNS,
  OUTBOX_COLUMNS,
  PLUGIN_ENTITIES,
  TABLES,
  TRIGGER_BINDING_COLUMNS,
} from '../../../src/persistence';
import { openTestDatabase, usingServer, type TestDatabase } from '../../support/database';

// Three descriptions of one schema: the TypeORM entities (the host's convention), the migrations
// (what runs), and the column lists our SQL selects. After every migration has run, TypeORM's schema
// diff must be empty and each column list must name exactly the entity's columns.

describe(`schema agreement (${usingServer ? 'PostgreSQL server' : 'PGlite'})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(() => t?.close());

  it('TypeORM finds nothing to change between the entities and the migrated database', async () => {
    const diff = await t.dataSource.driver.createSchemaBuilder().log();
    expect(diff.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('every entity maps a table of the plugin, and every plugin table has an entity', () => {
    const mapped = PLUGIN_ENTITIES.map((entity) => t.dataSource.getMetadata(entity).tableName).sort();
    expect(mapped).toEqual([...new Set(Object.values(TABLES))].sort());
  });

  it.each([
    ['HANDOFF_COLUMNS', TABLES.handoff, HANDOFF_COLUMNS],
    ['OUTBOX_COLUMNS', TABLES.outbox, OUTBOX_COLUMNS],
    ['AGGREGATE_COLUMNS', TABLES.aggregate, AGGREGATE_COLUMNS],
    ['TRIGGER_BINDING_COLUMNS', TABLES.triggerBinding, TRIGGER_BINDING_COLUMNS],
    ['CONVERSATION_BINDING_COLUMNS', TABLES.conversationBinding, CONVERSATION_BINDING_COLUMNS],
    ['DISPATCH_RUN_COLUMNS', TABLES.dispatchRun, DISPATCH_RUN_COLUMNS],
  ])('%s names only columns of its entity', (_name, table, list) => {
    const listed = list.split(',').map((column) => column.trim());
    const entity = t.dataSource.getMetadata(table).columns.map((column) => column.databaseName);
    expect(listed.filter((column) => !entity.includes(column))).toEqual([]);
    // The queue's list maps whole rows: it must name every column.
    if (table === TABLES.handoff) expect([...listed].sort()).toEqual([...entity].sort());
  });
});

import { Init1732000000001 } from './0001-init.migration';

export { Init1732000000001 } from './0001-init.migration';

/** Every plugin migration, oldest first. Append new ones here. */
export const PLUGIN_MIGRATIONS = [Init1732000000001];

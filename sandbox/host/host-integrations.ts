import { randomUUID } from 'node:crypto';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { HostProfile } from './host-profile';

export const HARNESS_TENANT_ID = '00000000-0000-4000-8000-000000000001';
export const HARNESS_ORGANIZATION_ID = '00000000-0000-4000-8000-000000000002';

export interface IntegrationInput {
  id?: string;
  tenantId?: string | null;
  organizationId?: string | null;
  name?: string;
  provider?: string;
  options: Record<string, unknown>;
}

export interface IntegrationRow {
  id: string;
  tenantId: string | null;
  organizationId: string | null;
  name: string | null;
  description: string | null;
  slug: string | null;
  provider: string;
  options: Record<string, unknown>;
}

/** The strategy hooks a 3.17 host calls; looked up by provider, null when no plugin provides it. */
export interface IntegrationHooks {
  validateConfig?(config: unknown, integration?: unknown): Promise<unknown>;
  onUpdate?(previous: unknown, current: unknown): Promise<void> | void;
  onDelete?(integration: unknown): Promise<void> | void;
}

const PATCHABLE = ['name', 'description', 'slug', 'provider'] as const;

/**
 * The host's integration records and what saving one does. On 3.17 this follows
 * `integration.service.ts` and the upsert/delete command handlers: `validateConfig` on every
 * create and update (a throw → 400 with its message; returned name/description/slug/provider/
 * options patch the record), `onUpdate(previous, current)` — or `onDelete(previous)` when the
 * provider changed — before the update is written, `onDelete` before a delete. On 3.7 a save is a
 * plain write and the plugin is told nothing.
 */
export class HostIntegrations {
  constructor(
    private readonly dataSource: DataSource,
    private readonly profile: HostProfile,
    private readonly strategyFor: (provider: string) => IntegrationHooks | null,
  ) {}

  async read(id: string): Promise<IntegrationRow | null> {
    const rows: IntegrationRow[] = await this.dataSource.query(
      'SELECT id, "tenantId", "organizationId", name, description, slug, provider, options FROM integration WHERE id = $1',
      [id],
    );
    return rows[0] ? { ...rows[0], options: parseOptions(rows[0].options) } : null;
  }

  async findAll(where: { provider?: string } = {}): Promise<{ items: IntegrationRow[]; total: number }> {
    const rows: IntegrationRow[] = where.provider
      ? await this.dataSource.query('SELECT id, "tenantId", "organizationId", name, description, slug, provider, options FROM integration WHERE provider = $1', [where.provider])
      : await this.dataSource.query('SELECT id, "tenantId", "organizationId", name, description, slug, provider, options FROM integration');
    const items = rows.map((row) => ({ ...row, options: parseOptions(row.options) }));
    return { items, total: items.length };
  }

  /** The Test button (`POST /api/integration/test`): the strategy's validateConfig on the form. */
  async test(form: Partial<IntegrationRow>): Promise<unknown> {
    const strategy = form.provider ? this.strategyFor(form.provider) : null;
    if (!strategy?.validateConfig) throw new BadRequestException(`No integration provider '${String(form.provider)}'.`);
    return strategy.validateConfig(form.options, form);
  }

  async create(input: IntegrationInput): Promise<IntegrationRow> {
    const draft = toRow(input);
    const next = this.profile === '3.17' ? await this.validated(draft, Boolean(input.id)) : draft;
    await write(this.dataSource, next);
    return next;
  }

  async update(id: string, patch: Partial<IntegrationInput>): Promise<IntegrationRow> {
    const previous = await this.read(id);
    if (!previous) throw new NotFoundException(`Integration '${id}' not found.`);
    const merged: IntegrationRow = { ...previous, ...definedOnly(patch), id } as IntegrationRow;
    if (this.profile === '3.17') {
      const next = await this.validated(merged, true);
      await this.runHook(previous, () => {
        const strategy = this.strategyFor(previous.provider);
        return previous.provider !== next.provider ? strategy?.onDelete?.(previous) : strategy?.onUpdate?.(previous, next);
      });
      await write(this.dataSource, next);
      return next;
    }
    await write(this.dataSource, merged);
    return merged;
  }

  async remove(id: string): Promise<void> {
    const previous = await this.read(id);
    if (this.profile === '3.17' && previous) {
      await this.runHook(previous, () => this.strategyFor(previous.provider)?.onDelete?.(previous));
    }
    await this.dataSource.query('DELETE FROM integration WHERE id = $1', [id]);
  }

  private async validated(integration: IntegrationRow, withId: boolean): Promise<IntegrationRow> {
    const strategy = this.strategyFor(integration.provider);
    if (!strategy?.validateConfig) return integration;
    let result: unknown;
    try {
      // A new record has no id yet on the host; the harness only knows it up front when told one.
      result = await strategy.validateConfig(integration.options, withId ? integration : { ...integration, id: undefined });
    } catch (error) {
      throw new BadRequestException(error instanceof Error ? error.message : String(error));
    }
    return { ...integration, ...validatedPatch(result) };
  }

  private async runHook(_previous: IntegrationRow, hook: () => unknown): Promise<void> {
    try {
      await hook();
    } catch (error) {
      throw new BadRequestException(error instanceof Error ? error.message : String(error));
    }
  }
}

function validatedPatch(result: unknown): Partial<IntegrationRow> {
  if (!result || typeof result !== 'object' || Array.isArray(result)) return {};
  const source = result as Record<string, unknown>;
  const patch: Record<string, unknown> = {};
  for (const key of PATCHABLE) if (typeof source[key] === 'string' && source[key]) patch[key] = source[key];
  if (source.options && typeof source.options === 'object' && !Array.isArray(source.options)) patch.options = source.options;
  return patch as Partial<IntegrationRow>;
}

function toRow(input: IntegrationInput): IntegrationRow {
  return {
    id: input.id ?? randomUUID(),
    tenantId: input.tenantId ?? HARNESS_TENANT_ID,
    organizationId: input.organizationId ?? HARNESS_ORGANIZATION_ID,
    name: input.name ?? 'DingTalk',
    description: null,
    slug: null,
    provider: input.provider ?? 'dingtalk',
    options: input.options ?? {},
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function parseOptions(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
}

/** Insert or overwrite one record, as a boot-time fixture or a save. */
export async function write(dataSource: DataSource, row: IntegrationRow): Promise<void> {
  await dataSource.query(
    `INSERT INTO integration (id, "tenantId", "organizationId", name, description, slug, provider, options)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (id) DO UPDATE SET options = EXCLUDED.options, name = EXCLUDED.name, description = EXCLUDED.description,
       slug = EXCLUDED.slug, provider = EXCLUDED.provider, "updatedAt" = now()`,
    [row.id, row.tenantId, row.organizationId, row.name, row.description, row.slug, row.provider, JSON.stringify(row.options)],
  );
}

export async function insertIntegration(dataSource: DataSource, input: IntegrationInput): Promise<string> {
  const row = toRow(input);
  await write(dataSource, row);
  return row.id;
}

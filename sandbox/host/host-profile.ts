/**
 * The Xpert host lines the harness can play. `3.7` is the contract of the registry's SDK 3.7.2 host;
 * `3.17` is the current host line (`xpert-ai/xpert` main, plugin-sdk 3.17.3): its plugin loader
 * checks, its permission-gated plugin context, validation on every integration save with
 * onUpdate/onDelete hooks, and diff-based trigger republishing.
 */
export type HostProfile = '3.7' | '3.17';

export const HOST_PROFILES: readonly HostProfile[] = ['3.7', '3.17'];

/** `explicit`, else `XPERT_HOST_PROFILE`, else `fallback`; anything else is a startup error. */
export function resolveHostProfile(explicit: string | undefined, fallback: HostProfile, env: NodeJS.ProcessEnv = process.env): HostProfile {
  const value = explicit ?? (env.XPERT_HOST_PROFILE || undefined) ?? fallback;
  if (!HOST_PROFILES.includes(value as HostProfile)) {
    throw new Error(`Unknown host profile '${value}' (XPERT_HOST_PROFILE): use one of ${HOST_PROFILES.join(', ')}.`);
  }
  return value as HostProfile;
}

export interface PluginPackageJson {
  name?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  xpert?: { plugin?: { level?: string } };
}

/**
 * The 3.17 loader links its own SDK and contracts into the plugin's node_modules and refuses a
 * plugin that ships its own SDK (`plugin-loader.ts`, `plugin-sdk-versioning.ts`); a peer range the
 * host does not satisfy only warns.
 */
export function assertLoadablePackage(pkg: PluginPackageJson): void {
  if (pkg.dependencies && '@xpert-ai/plugin-sdk' in pkg.dependencies) {
    throw new Error(
      `Plugin '${pkg.name ?? '(unnamed)'}' lists @xpert-ai/plugin-sdk in dependencies; the host provides the SDK, so it must be a peerDependency.`,
    );
  }
}

/** `xpert.plugin.level` of package.json; the host's default is `organization`. */
export function pluginLevel(pkg: PluginPackageJson): string {
  return pkg.xpert?.plugin?.level ?? 'organization';
}

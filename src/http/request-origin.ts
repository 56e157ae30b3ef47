/** `proto://host` of a request as the client saw it (honours a proxy's X-Forwarded-* headers). */
export function requestOrigin(request: { headers?: Record<string, string | string[] | undefined>; protocol?: string }): string | undefined {
  const header = (name: string) => {
    const value = request.headers?.[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const host = header('x-forwarded-host') ?? header('host');
  if (!host) return undefined;
  const proto = (header('x-forwarded-proto') ?? request.protocol ?? 'http').split(',')[0].trim();
  return `${proto}://${host}`;
}

/**
 * Time for repositories. Without an injected clock the *database* clock (`now()`) is used, so every
 * replica compares leases and due times against one clock regardless of host clock skew. Tests may
 * inject a clock; its reading is then sent as a parameter instead.
 */
export type Clock = () => Date;

/** The parameter value for a `COALESCE($n::timestamptz, now())` "now" expression. */
export function clockParam(clock: Clock | undefined): Date | null {
  return clock ? clock() : null;
}

/** SQL for "now" given the parameter index of clockParam's value. */
export function nowSql(index: number): string {
  return `COALESCE($${index}::timestamptz, now())`;
}

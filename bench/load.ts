import autocannon from 'autocannon';

export interface LoadResult {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  non2xx: number;
  errors: number;
}

export interface LoadOptions {
  name: string;
  url: string;
  connections: number;
  durationSeconds: number;
  headers: () => Record<string, string>;
  /** A fresh body per request, so dedupe never short-cuts the durable write. */
  body: () => string;
  path?: (index: number) => string;
}

/** Drives one endpoint with autocannon on loopback and reads throughput and latency. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  let index = 0;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (request: any) => {
          const i = index++;
          request.headers = { 'content-type': 'application/json', ...options.headers() };
          request.body = options.body();
          if (options.path) request.path = options.path(i);
          return request;
        },
      },
    ],
  });
  return {
    name: options.name,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

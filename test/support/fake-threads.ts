import { createFakeThreadsApi, type FakeThreadsApi } from '../../sandbox/fake-xpert/threads-api';

export interface FakeThreads {
  readonly api: FakeThreadsApi;
  /** Its base URL, for a trigger's `xpertApiBaseUrl`. */
  readonly url: string;
}

/**
 * The fake Xpert threads API for one test file: listening before the file's other beforeAll hooks
 * that are declared after this call, closed after its tests.
 */
export function useFakeThreadsApi(apiKey: string): FakeThreads {
  const state = {} as { api: FakeThreadsApi; url: string };
  beforeAll(async () => {
    state.api = createFakeThreadsApi({ apiKey });
    state.url = await state.api.listen();
  });
  afterAll(async () => {
    await state.api?.close();
  });
  return state;
}

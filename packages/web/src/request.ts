import { type Ref, ref, shallowRef } from 'vue';
import { ApiError, clientErrorBody } from './api.ts';

export interface Request<T> {
  data: Ref<T | undefined>;
  error: Ref<ApiError | undefined>;
  loading: Ref<boolean>;
  /** Run again; a slower earlier answer never overwrites a newer one. */
  reload(): Promise<void>;
}

/** Loading / data / error state for one API call, started at once. */
export function useRequest<T>(load: () => Promise<T>): Request<T> {
  const data = shallowRef<T>();
  const error = shallowRef<ApiError>();
  const loading = ref(false);
  let latest = 0;

  async function reload(): Promise<void> {
    const ticket = ++latest;
    loading.value = true;
    error.value = undefined;
    try {
      const result = await load();
      if (ticket === latest) data.value = result;
    } catch (err) {
      if (ticket !== latest) return;
      // Anything but an ApiError is a bug in the page; still show the user something sensible.
      error.value = err instanceof ApiError ? err : new ApiError(0, clientErrorBody('INTERNAL'));
      if (!(err instanceof ApiError)) console.error(err);
    } finally {
      if (ticket === latest) loading.value = false;
    }
  }

  void reload();
  return { data, error, loading, reload };
}

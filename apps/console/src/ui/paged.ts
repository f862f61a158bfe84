import { type ApiError, isApiError } from '@zhgh/web';
import { ref, type Ref, shallowRef, type ShallowRef, watch } from 'vue';

export interface Paged<T> {
  rows: ShallowRef<T[]>;
  total: Ref<number>;
  /** The server stopped counting at `total` (a name search with more hits): show "total+". */
  capped: Ref<boolean>;
  page: Ref<number>;
  pageSize: Ref<number>;
  loading: Ref<boolean>;
  error: ShallowRef<ApiError | undefined>;
  reload(): Promise<void>;
  /** New filters: back to the first page. */
  search(): Promise<void>;
  /** The pager's answers (ListPager): a page or a page size chosen reloads through the watch. */
  goTo(page: number): void;
  resize(pageSize: number): void;
}

/** One server-paged list: page and page size drive reloads; a slow old answer never wins. */
export function usePaged<T>(
  load: (page: number, pageSize: number) => Promise<{ items: T[]; total: number; totalCapped?: boolean }>,
  initialPageSize = 20,
): Paged<T> {
  const rows = shallowRef<T[]>([]);
  const total = ref(0);
  const capped = ref(false);
  const page = ref(1);
  const pageSize = ref(initialPageSize);
  const loading = ref(false);
  const error = shallowRef<ApiError>();
  let latest = 0;

  async function reload(): Promise<void> {
    const ticket = ++latest;
    loading.value = true;
    try {
      const result = await load(page.value, pageSize.value);
      if (ticket !== latest) return;
      rows.value = result.items;
      total.value = result.total;
      capped.value = result.totalCapped ?? false;
      error.value = undefined;
    } catch (err) {
      if (ticket !== latest) return;
      if (!isApiError(err)) throw err;
      error.value = err;
    } finally {
      if (ticket === latest) loading.value = false;
    }
  }

  async function search(): Promise<void> {
    if (page.value === 1) return reload();
    page.value = 1;
  }

  watch([page, pageSize], () => void reload());
  const goTo = (p: number) => void (page.value = p);
  const resize = (size: number) => void (pageSize.value = size);
  return { rows, total, capped, page, pageSize, loading, error, reload, search, goTo, resize };
}

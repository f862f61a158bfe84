import { type JobOutput, jobRoutes } from '@zhgh/contracts';
import { onBeforeUnmount, type Ref, ref, shallowRef, type ShallowRef } from 'vue';
import { api } from '../api/client.ts';
import { isFinished, pollDelay } from '../modules/imports/import-data.ts';
import { showError } from './feedback.ts';

export interface JobFollow {
  job: ShallowRef<JobOutput | undefined>;
  busy: Ref<boolean>;
  /** Follow a job the server just started (or resumed) until it finishes. */
  follow(job: JobOutput): void;
  cancel(): Promise<void>;
  resume(): Promise<void>;
  /** Stop following (a new upload, leaving the page). */
  stop(): void;
}

/**
 * Follow one background job (an import, an export) by polling `GET /api/jobs/:id`: quick at
 * first, then every two seconds; stops when it finishes or the page goes away. A failed poll
 * is reported once and retried, since a job outlives a network blip.
 */
export function useJobFollow(onFinished?: (job: JobOutput) => void): JobFollow {
  const job = shallowRef<JobOutput>();
  const busy = ref(false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;
  let reported = false;

  function stop(): void {
    generation++;
    if (timer) clearTimeout(timer);
    timer = undefined;
  }

  function schedule(gen: number, attempt: number): void {
    timer = setTimeout(() => void poll(gen, attempt), pollDelay(attempt));
  }

  async function poll(gen: number, attempt: number): Promise<void> {
    const current = job.value;
    if (!current || gen !== generation) return;
    try {
      const next = await api.call(jobRoutes.get, { params: { id: current.id } });
      if (gen !== generation) return;
      reported = false;
      apply(next, gen, attempt + 1);
    } catch (err) {
      if (gen !== generation) return;
      if (!reported) showError(err);
      reported = true;
      schedule(gen, attempt + 1);
    }
  }

  function apply(next: JobOutput, gen: number, attempt: number): void {
    job.value = next;
    if (isFinished(next.status)) onFinished?.(next);
    else schedule(gen, attempt);
  }

  function follow(next: JobOutput): void {
    stop();
    apply(next, generation, 0);
  }

  async function act(route: typeof jobRoutes.cancel | typeof jobRoutes.resume): Promise<void> {
    const current = job.value;
    if (!current || busy.value) return;
    busy.value = true;
    try {
      follow(await api.call(route, { params: { id: current.id } }));
    } catch (err) {
      showError(err);
    } finally {
      busy.value = false;
    }
  }

  onBeforeUnmount(stop);
  return {
    job,
    busy,
    follow,
    cancel: () => act(jobRoutes.cancel),
    resume: () => act(jobRoutes.resume),
    stop,
  };
}

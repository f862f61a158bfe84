/**
 * Periodic upkeep inside the API process: work that must happen on its own, like reminding
 * unions of overdue applications. Each task must be safe to run in several processes at once
 * and more often than needed (the overdue scan reminds an instance once per day by a
 * conditional update), so no leader election is needed: every process runs every task.
 */
export interface PeriodicTask {
  name: string;
  everyMs: number;
  run: () => Promise<unknown>;
}

export interface PeriodicLog {
  error(obj: object, msg: string): void;
}

export interface Periodic {
  /** Stop the timers and wait for runs in flight. */
  stop(): Promise<void>;
}

/**
 * Run each task once at start and then every `everyMs`. A run never overlaps the previous run
 * of the same task, and a failure is logged and retried at the next tick, never thrown: the
 * API keeps serving while, say, the database is briefly away.
 */
export function startPeriodic(tasks: readonly PeriodicTask[], log: PeriodicLog): Periodic {
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  for (const task of tasks) {
    let busy = false;
    const tick = () => {
      if (busy || stopped) return;
      busy = true;
      const p = task
        .run()
        .then(
          () => undefined,
          (err: unknown) => log.error({ err, task: task.name }, 'periodic task failed'),
        )
        .finally(() => {
          busy = false;
          inFlight.delete(p);
        });
      inFlight.add(p);
    };
    setImmediate(tick);
    const timer = setInterval(tick, task.everyMs);
    // Upkeep never keeps the process alive on its own.
    timer.unref();
    timers.push(timer);
  }
  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      await Promise.all([...inFlight]);
    },
  };
}

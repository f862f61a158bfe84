import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startPeriodic } from './periodic.ts';

const silent = { error: () => undefined };

describe('startPeriodic', () => {
  it('runs each task at once and then on its interval, until stopped', async () => {
    let runs = 0;
    const periodic = startPeriodic([{ name: 't', everyMs: 20, run: async () => void runs++ }], silent);
    await sleep(110);
    await periodic.stop();
    const seen = runs;
    expect(seen).toBeGreaterThanOrEqual(3);
    await sleep(60);
    expect(runs).toBe(seen);
  });

  it('never overlaps a slow run of the same task, and stop waits for the run in flight', async () => {
    let active = 0;
    let most = 0;
    let finished = 0;
    const periodic = startPeriodic(
      [
        {
          name: 'slow',
          everyMs: 5,
          run: async () => {
            active++;
            most = Math.max(most, active);
            await sleep(40);
            active--;
            finished++;
          },
        },
      ],
      silent,
    );
    await sleep(60);
    await periodic.stop();
    expect(most).toBe(1);
    expect(active).toBe(0);
    expect(finished).toBeGreaterThanOrEqual(1);
  });

  it('logs a failing run and keeps going', async () => {
    const errors: object[] = [];
    let runs = 0;
    const periodic = startPeriodic(
      [
        {
          name: 'flaky',
          everyMs: 10,
          run: async () => {
            runs++;
            throw new Error('database away');
          },
        },
      ],
      { error: (obj) => errors.push(obj) },
    );
    await sleep(60);
    await periodic.stop();
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toMatchObject({ task: 'flaky' });
  });
});

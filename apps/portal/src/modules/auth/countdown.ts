import { onBeforeUnmount, ref } from 'vue';

/**
 * Seconds left until a deadline. Counted from the deadline rather than by decrementing, so a
 * phone that suspends the tab shows the right number when it wakes.
 */
export function useCountdown() {
  const left = ref(0);
  let timer: ReturnType<typeof setInterval> | undefined;

  function stop(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  function start(seconds: number): void {
    stop();
    const deadline = Date.now() + seconds * 1000;
    const tick = (): void => {
      left.value = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      if (left.value === 0) stop();
    };
    tick();
    timer = setInterval(tick, 250);
  }

  onBeforeUnmount(stop);
  return { left, start, stop };
}

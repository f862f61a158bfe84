import type { Directive } from 'vue';

/**
 * `v-testid="'sms-phone'"`: puts data-testid on the inner <input> of a Vant field (a plain
 * attribute would land on the wrapper, where a browser test cannot type), otherwise on the
 * element itself.
 */
export const vTestid: Directive<HTMLElement, string> = {
  mounted(el, binding) {
    (el.querySelector('input, textarea') ?? el).setAttribute('data-testid', binding.value);
  },
  updated(el, binding) {
    (el.querySelector('input, textarea') ?? el).setAttribute('data-testid', binding.value);
  },
};

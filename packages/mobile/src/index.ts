/**
 * What the two mobile ends (the member portal and the merchant end) share beyond @zhgh/web:
 * Vant components and pages that read alike in both. The console has its own (Element Plus).
 */
export { confirmed } from './confirm.ts';
export { default as FormAlert } from './FormAlert.vue';
export { type MobileKit, mobileKit, useMobileKit } from './kit.ts';
export { default as LocaleSwitch } from './LocaleSwitch.vue';
export { type MobileKitKey, mobileKitMessages } from './messages.ts';
export { default as SessionsList } from './SessionsList.vue';
export { vTestid } from './testid.ts';

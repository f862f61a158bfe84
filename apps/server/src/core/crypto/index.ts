export * from './blind-index.ts';
export * from './field-cipher.ts';
export * from './keys.ts';
export * from './mask.ts';

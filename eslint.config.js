import js from '@eslint/js';
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';
import vueParser from 'vue-eslint-parser';

/** Single-file components of the three ends and of the kit the mobile ends share. */
const VUE_FILES = ['apps/*/src/**/*.vue', 'packages/mobile/src/**/*.vue'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'data/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Vue's own rules, only where Vue files live; the TypeScript rules above apply to their scripts too.
  ...pluginVue.configs['flat/recommended'].map((config) => ({ ...config, files: VUE_FILES })),
  {
    files: VUE_FILES,
    languageOptions: {
      parser: vueParser,
      parserOptions: {
        // <script lang="ts"> goes to the TypeScript parser; the template stays with vue-eslint-parser.
        parser: tseslint.parser,
        extraFileExtensions: ['.vue'],
        sourceType: 'module',
        ecmaVersion: 'latest',
      },
    },
    rules: {
      // Prettier owns the layout of templates, as it does for the rest of the code.
      ...pluginVue.configs['no-layout-rules'].rules,
      // vue-tsc resolves every name, browser globals included; this rule cannot see those.
      'no-undef': 'off',
    },
  },
  {
    // The root component is App by convention in every Vue app.
    files: ['apps/*/src/App.vue'],
    rules: { 'vue/multi-word-component-names': 'off' },
  },
);

import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const server = 'http://127.0.0.1:3000';

export default defineConfig({
  base: '/',
  plugins: [vue()],
  define: {
    // vue-i18n: composition API only, so the legacy API is dropped from the bundle.
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  server: {
    port: 5173,
    proxy: { '/api': server, '/healthz': server, '/readyz': server },
  },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      treeshake: {
        // The contracts are plain declarations; only the routes an app calls should ship.
        moduleSideEffects: (id) => !id.includes('/packages/contracts/src/'),
      },
    },
  },
});

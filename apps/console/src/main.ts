import 'element-plus/dist/index.css';
import './ui/theme.css';
import { setDocumentTitle } from '@zhgh/web';
import { ElMessage } from 'element-plus';
import { createPinia } from 'pinia';
import { createApp, watch } from 'vue';
import { session } from './api/client.ts';
import App from './App.vue';
import { i18n, t } from './i18n/index.ts';
import { restrictionRouteName } from './modules/auth/routes.ts';
import { createConsoleRouter } from './router.ts';

const router = createConsoleRouter();

function updateTitle(): void {
  const key = router.currentRoute.value.meta.title;
  setDocumentTitle(key ? `${t(key)} · ${t('app.title')}` : t('app.title'));
}
router.afterEach(updateTitle);
watch(i18n.global.locale, updateTitle);

// A session lost behind the user's back (idle timeout, signed out elsewhere, role revoked):
// say so, and come back here after signing in again.
session.onExpired(() => {
  ElMessage.warning({ message: t('user.sessionExpired'), grouping: true });
  const here = router.currentRoute.value;
  if (!here.meta.public) void router.replace({ name: 'login', query: { redirect: here.fullPath } });
});

// The server may restrict a live session (its password aged out): go to the page that lifts it.
// (Sign-in itself routes on its own, keeping where the user was headed.)
watch(session.restriction, (restriction) => {
  const name = restrictionRouteName(restriction);
  const here = router.currentRoute.value;
  if (name && !here.meta.public && here.name !== name) void router.replace({ name });
});

createApp(App).use(createPinia()).use(i18n).use(router).mount('#app');

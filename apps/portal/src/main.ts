import { mobileKit } from '@zhgh/mobile';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import { api, onSessionLost } from './api/client.ts';
import App from './App.vue';
import { i18n, locale, setLocale, t } from './i18n/index.ts';
import { registerServiceWorker } from './pwa/register.ts';
import { router } from './router.ts';
import { useSessionStore } from './stores/session.ts';
import { errorText } from './ui/form-errors.ts';
import './ui/base.css';

const app = createApp(App);
app.use(createPinia());
app.use(i18n);
app.use(router);
// The shared mobile pages (@zhgh/mobile) speak this end's language through its own client.
app.use(
  mobileKit({ t, locale, setLocale, api, errorText, signOutEverywhere: () => useSessionStore().signOutEverywhere() }),
);

// Any call that finds the session gone (idle timeout, signed out elsewhere) lands on sign-in,
// and sign-in sends the user back to where they were.
onSessionLost((code) => {
  useSessionStore().clear(code === 'SESSION_EXPIRED' ? 'expired' : null);
  const current = router.currentRoute.value;
  if (current.name !== 'login') void router.replace({ name: 'login', query: { redirect: current.fullPath } });
});

// Back online: find out whether the session is still there.
window.addEventListener('online', () => {
  const session = useSessionStore();
  if (session.status === 'offline') void session.load();
});

app.mount('#app');
registerServiceWorker();

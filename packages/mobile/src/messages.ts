/**
 * The kit's own strings, spread into each mobile end's message tree (zh-CN and en), so the
 * language and device pages read the same in the member portal and the merchant end.
 */
const zhCN = {
  lang: {
    label: '语言',
    choose: '选择语言',
    'zh-CN': '中文',
    en: 'English',
  },
  sessions: {
    title: '登录设备',
    current: '本机',
    signedInAt: '登录时间',
    lastSeenAt: '最近活动',
    ip: 'IP 地址',
    unknownDevice: '未知设备',
    revoke: '下线',
    revokeConfirm: '确定让这台设备下线吗？',
    revoked: '已下线',
    empty: '没有其他登录设备',
    signOutAll: '退出所有设备',
    signOutAllConfirm: '将退出包括本机在内的所有设备上的登录，确定吗？',
    signedOutAll: '已退出 {n} 个登录',
  },
};

type KitMessages = typeof zhCN;

const en: KitMessages = {
  lang: {
    label: 'Language',
    choose: 'Choose a language',
    'zh-CN': '中文',
    en: 'English',
  },
  sessions: {
    title: 'Signed-in devices',
    current: 'This device',
    signedInAt: 'Signed in',
    lastSeenAt: 'Last active',
    ip: 'IP address',
    unknownDevice: 'Unknown device',
    revoke: 'Sign out',
    revokeConfirm: 'Sign this device out?',
    revoked: 'Device signed out',
    empty: 'No other devices are signed in',
    signOutAll: 'Sign out everywhere',
    signOutAllConfirm: 'This signs you out on every device, this one included. Continue?',
    signedOutAll: '{n} sign-ins ended',
  },
};

export const mobileKitMessages = { 'zh-CN': zhCN, en };

/** Every dotted path to a string in the message tree: 'sessions.title'. */
type Leaves<T> = {
  [K in keyof T & string]: T[K] extends string ? K : `${K}.${Leaves<T[K]>}`;
}[keyof T & string];

/**
 * The keys the kit's components translate: its own, plus three every end keeps in `common`.
 * An end whose `t` lacks one of them does not type-check where it hands `t` to the kit.
 */
export type MobileKitKey = Leaves<KitMessages> | 'common.cancel' | 'common.loading' | 'common.retry';

import type { Random } from './random.ts';
import { Weighted } from './random.ts';

/**
 * Plausible work units: name, unit type (单位类型) and GB/T 4754 section. Companies are named
 * as registered (place + brand + trade + form); schools, hospitals and government organs as
 * they are called locally.
 */
export type UnitKind = 'company' | 'school' | 'hospital' | 'organ';

export interface UnitDraft {
  name: string;
  unitType: string;
  industry: string;
}

const BRANDS = [
  ...'秦川 长安 丝路 汉唐 西部 金辉 鼎盛 恒达 宏远 瑞丰 华荣 兴业 永信 三秦 终南 渭水 曲江 大雁 未来 华山 太白 泰和 德润 天成 博远 众邦 新源 中联 盛世 昌隆 华泰 远航 聚鑫 明珠 通达 安泰 嘉禾 锦程 正阳 宏图 凯越 银河 春晖 隆基 腾飞 蓝海 精诚 合力 骏马 环宇'.split(
    ' ',
  ),
];

const TRADES: Readonly<Record<string, readonly string[]>> = {
  A: ['现代农业', '果业', '生态农业', '畜牧养殖', '茶业', '种业'],
  B: ['煤业', '矿业', '能源开发', '石油技术服务'],
  C: [
    '机械制造',
    '电子科技',
    '精密仪器',
    '汽车零部件',
    '食品',
    '纺织',
    '化工',
    '新材料',
    '装备制造',
    '制药',
    '光电科技',
    '航空部件',
  ],
  D: ['电力', '热力', '燃气', '水务'],
  E: ['建筑工程', '建设工程', '路桥工程', '装饰工程', '市政工程'],
  F: ['商贸', '百货', '超市', '医药连锁', '汽车销售', '农资'],
  G: ['物流', '运输', '公共交通', '货运', '仓储'],
  H: ['餐饮管理', '酒店管理', '饮食文化', '食品餐饮'],
  I: ['软件', '信息技术', '网络科技', '数据科技', '通信技术'],
  J: ['小额贷款', '融资担保', '典当'],
  K: ['房地产开发', '物业管理', '置业'],
  L: ['人力资源', '商务咨询', '广告', '会展服务'],
  M: ['工程设计', '检测技术', '科技研究', '勘察设计'],
  N: ['环境工程', '园林绿化', '环卫服务'],
  O: ['家政服务', '汽车维修', '洗涤服务'],
  R: ['文化传媒', '影视', '体育发展', '文化旅游'],
};

/** Companies by section, the share of employment they stand for (roughly). */
const COMPANY_SECTIONS = new Weighted<string>([
  ['C', 22],
  ['F', 14],
  ['E', 10],
  ['G', 8],
  ['H', 8],
  ['I', 6],
  ['K', 5],
  ['L', 5],
  ['M', 4],
  ['O', 4],
  ['A', 4],
  ['B', 2],
  ['D', 2],
  ['N', 2],
  ['J', 2],
  ['R', 2],
]);

const COMPANY_TYPES = new Weighted<string>([
  ['170', 45],
  ['150', 25],
  ['110', 8],
  ['160', 6],
  ['120', 3],
  ['300', 2],
  ['200', 1],
  ['130', 1],
]);

const SMALL_TYPES = new Weighted<string>([
  ['170', 60],
  ['600', 30],
  ['700', 10],
]);

const FORM: Readonly<Record<string, readonly string[]>> = {
  '110': ['有限责任公司', '集团有限公司'],
  '120': ['厂', '合作社'],
  '130': ['股份合作公司'],
  '150': ['有限公司', '有限责任公司'],
  '160': ['股份有限公司'],
  '170': ['有限公司'],
  '200': ['有限公司'],
  '300': ['（中国）有限公司', '有限公司'],
  '600': ['店', '经营部', '工作室'],
  '700': ['服务中心', '培训学校'],
};

const ORGANS = [
  '人民政府办公室',
  '财政局',
  '教育局',
  '人力资源和社会保障局',
  '住房和城乡建设局',
  '市场监督管理局',
  '税务局',
  '公安分局',
  '农业农村局',
  '自然资源局',
  '民政局',
  '卫生健康局',
  '交通运输局',
  '统计局',
  '人民法院',
  '人民检察院',
];
const SCHOOLS = ['中学', '小学', '实验小学', '初级中学', '高级中学', '幼儿园', '职业教育中心'];
const NUMERALS = [...'一二三四五六七八九十'];

export function companyDraft(random: Random, place: string, section?: string): UnitDraft {
  const industry = section ?? COMPANY_SECTIONS.pick(random);
  const unitType = COMPANY_TYPES.pick(random);
  const trade = random.pick(TRADES[industry] ?? TRADES.F!);
  const name = `${place}${random.pick(BRANDS)}${trade}${random.pick(FORM[unitType]!)}`;
  return { name, unitType, industry };
}

/** A small unit for a joint union (小微企业、个体工商户). */
export function smallUnitDraft(random: Random, place: string): UnitDraft {
  const unitType = SMALL_TYPES.pick(random);
  const industry = random.pick(['F', 'H', 'O', 'L', 'C', 'R']);
  const trade = random.pick(TRADES[industry]!);
  return { name: `${place}${random.pick(BRANDS)}${trade}${random.pick(FORM[unitType]!)}`, unitType, industry };
}

export function institutionDraft(
  random: Random,
  kind: 'school' | 'hospital' | 'organ',
  county: string,
  town: string,
): UnitDraft {
  if (kind === 'school') {
    const school = random.pick(SCHOOLS);
    const name = random.chance(0.5) ? `${county}第${random.pick(NUMERALS)}${school}` : `${county}${town}${school}`;
    return { name, unitType: '400', industry: 'P' };
  }
  if (kind === 'hospital') {
    const name = random.pick([
      `${county}人民医院`,
      `${county}中医医院`,
      `${county}妇幼保健院`,
      `${county}疾病预防控制中心`,
      `${town}卫生院`,
      `${town}社区卫生服务中心`,
    ]);
    return { name, unitType: '400', industry: 'Q' };
  }
  return { name: `${county}${random.pick(ORGANS)}`, unitType: '500', industry: 'S' };
}

const ROADS = [
  ...'长安路 人民路 解放路 建设路 朝阳路 东大街 西大街 南大街 北大街 文化路 友谊路 和平路 新华路 中山路 团结路 光明路 育才路 迎宾大道 工业园路 科技路 学府路 车站路 滨河路 北环路 南环路'.split(
    ' ',
  ),
];

export function address(random: Random, city: string, county: string, town: string): string {
  return `陕西省${city}${county}${town}${random.pick(ROADS)}${random.int(1, 399)}号`;
}

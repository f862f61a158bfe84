/**
 * Code lists of the real-name record and the work unit: forms, the roster template's code
 * sheet, import validation and statistics all read these, so a code means one thing
 * everywhere. Each entry: stable code, zh-CN and en labels.
 */
export interface CodeItem<C extends string = string> {
  code: C;
  zh: string;
  en: string;
}

const item = <C extends string>(code: C, zh: string, en: string): CodeItem<C> => ({ code, zh, en });

export const EMPLOYMENT_TYPES = [
  item('regular', '固定职工', 'Regular employee'),
  item('migrant', '农民工', 'Migrant worker'),
  item('new_form', '新就业形态劳动者', 'New-form worker'),
  item('dispatched', '劳务派遣', 'Dispatched worker'),
  item('flexible', '灵活就业', 'Flexible worker'),
] as const;

/** The "eight groups" of new-form workers (八大群体). */
export const NEW_FORM_GROUPS = [
  item('courier', '快递员', 'Courier'),
  item('ride_hailing', '网约车司机', 'Ride-hailing driver'),
  item('delivery_rider', '外卖送餐员', 'Delivery rider'),
  item('truck_driver', '货车司机', 'Truck driver'),
  item('caregiver', '护工护理员', 'Caregiver'),
  item('domestic', '家政服务员', 'Domestic worker'),
  item('security_guard', '保安员', 'Security guard'),
  item('online_marketer', '网约配送及网络主播等', 'Platform and online worker'),
] as const;

export const GENDERS = [item('male', '男', 'Male'), item('female', '女', 'Female')] as const;

export const POLITICAL_STATUSES = [
  item('cpc_member', '中共党员', 'CPC member'),
  item('cpc_probationary', '中共预备党员', 'CPC probationary member'),
  item('cyl_member', '共青团员', 'Communist Youth League member'),
  item('democratic_party', '民主党派', 'Democratic party member'),
  item('nonpartisan', '无党派人士', 'Nonpartisan'),
  item('masses', '群众', 'Ordinary citizen'),
] as const;

export const EDUCATION_LEVELS = [
  item('primary', '小学及以下', 'Primary or below'),
  item('junior', '初中', 'Junior secondary'),
  item('senior', '高中', 'Senior secondary'),
  item('vocational', '中专/技校', 'Vocational secondary'),
  item('college', '大专', 'College'),
  item('bachelor', '本科', 'Bachelor'),
  item('master', '硕士研究生', 'Master'),
  item('doctor', '博士研究生', 'Doctorate'),
] as const;

export const HOUSEHOLD_TYPES = [
  item('urban', '城镇户口', 'Urban household'),
  item('rural', '农村户口', 'Rural household'),
] as const;

/** Unit type codes of the statistics system (单位类型). */
export const UNIT_TYPES = [
  item('110', '国有企业', 'State-owned enterprise'),
  item('120', '集体企业', 'Collective enterprise'),
  item('130', '股份合作企业', 'Joint-stock cooperative'),
  item('150', '有限责任公司', 'Limited liability company'),
  item('160', '股份有限公司', 'Company limited by shares'),
  item('170', '私营企业', 'Private enterprise'),
  item('200', '港澳台商投资企业', 'Hong Kong, Macao or Taiwan-invested enterprise'),
  item('300', '外商投资企业', 'Foreign-invested enterprise'),
  item('400', '事业单位', 'Public institution'),
  item('500', '机关', 'Government organ'),
  item('600', '个体工商户', 'Individual business'),
  item('700', '民办非企业单位', 'Private non-enterprise unit'),
  item('900', '其他', 'Other'),
] as const;

/** GB/T 4754-2017 sections A–T. */
export const INDUSTRY_SECTIONS = [
  item('A', '农、林、牧、渔业', 'Agriculture, forestry, animal husbandry and fishery'),
  item('B', '采矿业', 'Mining'),
  item('C', '制造业', 'Manufacturing'),
  item('D', '电力、热力、燃气及水生产和供应业', 'Electricity, heat, gas and water'),
  item('E', '建筑业', 'Construction'),
  item('F', '批发和零售业', 'Wholesale and retail trade'),
  item('G', '交通运输、仓储和邮政业', 'Transport, storage and post'),
  item('H', '住宿和餐饮业', 'Accommodation and catering'),
  item('I', '信息传输、软件和信息技术服务业', 'Information transmission, software and IT services'),
  item('J', '金融业', 'Finance'),
  item('K', '房地产业', 'Real estate'),
  item('L', '租赁和商务服务业', 'Leasing and business services'),
  item('M', '科学研究和技术服务业', 'Scientific research and technical services'),
  item('N', '水利、环境和公共设施管理业', 'Water, environment and public facilities'),
  item('O', '居民服务、修理和其他服务业', 'Resident, repair and other services'),
  item('P', '教育', 'Education'),
  item('Q', '卫生和社会工作', 'Health and social work'),
  item('R', '文化、体育和娱乐业', 'Culture, sports and entertainment'),
  item('S', '公共管理、社会保障和社会组织', 'Public administration, social security and social organizations'),
  item('T', '国际组织', 'International organizations'),
] as const;

/** The 56 ethnic groups in the order of GB 3304 (codes 01–56), plus 97 other and 98 naturalized. */
const ETHNIC_ZH =
  '汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族'.split(
    ' ',
  );
const ETHNIC_EN =
  "Han Mongol Hui Tibetan Uyghur Miao Yi Zhuang Bouyei Korean Manchu Dong Yao Bai Tujia Hani Kazakh Dai Li Lisu Va She Gaoshan Lahu Sui Dongxiang Naxi Jingpo Kyrgyz Tu Daur Mulao Qiang Blang Salar Maonan Gelao Xibe Achang Pumi Tajik Nu Uzbek Russian Evenki De'ang Bonan Yugur Gin Tatar Derung Oroqen Hezhen Monba Lhoba Jino".split(
    ' ',
  );
export const ETHNICITIES: readonly CodeItem[] = [
  ...ETHNIC_ZH.map((zh, i) => item(String(i + 1).padStart(2, '0'), zh, ETHNIC_EN[i]!)),
  item('97', '其他', 'Other'),
  item('98', '外国血统中国籍人士', 'Naturalized citizen of foreign origin'),
];

export type CodeOf<L extends readonly CodeItem[]> = L[number]['code'];
export type EmploymentType = CodeOf<typeof EMPLOYMENT_TYPES>;

/** The codes of a list, as a tuple zod's enum accepts. */
export function codesOf<L extends readonly CodeItem[]>(list: L): [CodeOf<L>, ...CodeOf<L>[]] {
  return list.map((i) => i.code) as [CodeOf<L>, ...CodeOf<L>[]];
}

/** Find a code by its code or its Chinese label (rosters carry either). */
export function lookupCode<L extends readonly CodeItem[]>(list: L, value: string): CodeOf<L> | null {
  const v = value.trim();
  const hit = list.find((i) => i.code === v || i.zh === v || i.en.toLowerCase() === v.toLowerCase());
  return hit ? (hit.code as CodeOf<L>) : null;
}

/**
 * Units of this size must found a union (应建尽建); the denominator of 建会率. A policy
 * setting with this default, per DOMAIN §3.1.
 */
export const FOUNDING_REQUIRED_MIN_EMPLOYEES = 100;

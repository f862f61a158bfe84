import type { ChartOption } from './echarts.ts';

/** Union red first, then colours that stay apart from it and from each other. */
export const PALETTE = ['#c8161d', '#f0a020', '#3a7bd5', '#2f9e8f', '#8e6fbf', '#e48b8e', '#6b7785'];
const FONT = "'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', system-ui, sans-serif";
const AXIS_TEXT = '#606266';
const SPLIT_LINE = '#ebeef5';

export interface Series {
  name: string;
  data: number[];
  color?: string;
}

interface BarInput {
  categories: string[];
  series: Series[];
  /** Categories down the side: long names stay readable. */
  horizontal?: boolean;
  /** Series on top of each other (active + retained). */
  stacked?: boolean;
  format: (n: number) => string;
  /** Room for the category labels of a horizontal chart. */
  labelWidth?: number;
}

const base = {
  color: PALETTE,
  textStyle: { fontFamily: FONT },
  animationDuration: 400,
};

/** Bars of counts, one or more series, with their values written on them. */
export function barOption(input: BarInput): ChartOption {
  const { categories, series, horizontal = false, stacked = false, format, labelWidth = 120 } = input;
  const categoryAxis = {
    type: 'category' as const,
    data: categories,
    inverse: horizontal,
    axisTick: { show: false },
    axisLine: { lineStyle: { color: SPLIT_LINE } },
    axisLabel: horizontal
      ? { color: AXIS_TEXT, width: labelWidth, overflow: 'truncate' as const }
      : { color: AXIS_TEXT, interval: 0, width: 90, overflow: 'break' as const },
  };
  const valueAxis = {
    type: 'value' as const,
    minInterval: 1,
    axisLabel: { color: AXIS_TEXT, formatter: (v: number) => format(v) },
    splitLine: { lineStyle: { color: SPLIT_LINE } },
  };
  const showLegend = series.length > 1;
  return {
    ...base,
    grid: {
      left: 8,
      right: horizontal ? 48 : 16,
      top: showLegend ? 36 : 24,
      bottom: 8,
      containLabel: true,
    },
    legend: { show: showLegend, top: 0, right: 0, itemWidth: 12, itemHeight: 12 },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      valueFormatter: (v) => (typeof v === 'number' ? format(v) : String(v ?? '')),
    },
    xAxis: horizontal ? valueAxis : categoryAxis,
    yAxis: horizontal ? categoryAxis : valueAxis,
    series: series.map((s, i) => ({
      type: 'bar' as const,
      name: s.name,
      data: s.data,
      barMaxWidth: horizontal ? 22 : 40,
      ...(stacked ? { stack: 'total' } : {}),
      itemStyle: {
        ...(s.color ? { color: s.color } : {}),
        borderRadius: stacked && i < series.length - 1 ? 0 : horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0],
      },
      label: {
        // Stacked bars carry one figure, the total, on the last series.
        show: !stacked || i === series.length - 1,
        position: horizontal ? ('right' as const) : ('top' as const),
        color: AXIS_TEXT,
        formatter: stacked
          ? (p: { dataIndex: number }) => format(series.reduce((sum, x) => sum + (x.data[p.dataIndex] ?? 0), 0))
          : (p: { value: unknown }) => format(Number(p.value)),
      },
    })),
  };
}

/** Names go into tooltip HTML: keep them text. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface Slice {
  name: string;
  value: number;
  color?: string;
}

/** A ring of shares; empty slices are left out so their labels do not pile up at zero. */
export function pieOption(input: { name: string; slices: Slice[]; format: (n: number) => string }): ChartOption {
  const { name, slices, format } = input;
  return {
    ...base,
    tooltip: {
      trigger: 'item',
      formatter: (p) => {
        const item = Array.isArray(p) ? p[0] : p;
        if (!item) return '';
        return `${item.marker ?? ''}${escapeHtml(item.name)}<br/><b>${format(Number(item.value))}</b> · ${item.percent ?? 0}%`;
      },
    },
    legend: { bottom: 0, itemWidth: 12, itemHeight: 12 },
    series: [
      {
        type: 'pie',
        name,
        radius: ['42%', '66%'],
        center: ['50%', '45%'],
        avoidLabelOverlap: true,
        percentPrecision: 1,
        itemStyle: { borderColor: '#fff', borderWidth: 2 },
        label: { formatter: '{b}\n{d}%', color: AXIS_TEXT, lineHeight: 16 },
        data: slices
          .filter((s) => s.value > 0)
          .map((s) => ({ name: s.name, value: s.value, ...(s.color ? { itemStyle: { color: s.color } } : {}) })),
      },
    ],
  };
}

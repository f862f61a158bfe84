import { AppError } from '../../core/app-error.ts';
import { regionsRepository as repo, type RegionRow } from './regions.repository.ts';

export function createRegionsService() {
  return {
    /** The provinces, or the regions directly inside a province or city. */
    children(parentCode: string | undefined): RegionRow[] {
      if (parentCode === undefined) return repo.findChildren(null);
      if (!repo.findByCode(parentCode)) throw AppError.notFound(`region ${parentCode}`);
      return repo.findChildren(parentCode);
    },

    /** A region code a form may store: it must name a real province, city or county. */
    requireKnown(code: string, field: string): RegionRow {
      const region = repo.findByCode(code);
      if (!region) {
        throw AppError.invalid(field, 'format', {
          'zh-CN': '行政区划代码不存在（GB/T 2260）',
          en: 'No such region code (GB/T 2260)',
        });
      }
      return region;
    },
  };
}
export type RegionsService = ReturnType<typeof createRegionsService>;

/** Server version, shown by /api/meta and OpenAPI. */
export const VERSION = '0.1.0';

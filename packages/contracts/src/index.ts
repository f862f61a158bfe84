export * from './errors.ts';
export * from './route.ts';
export * from './system.ts';
export { allRoutes } from './routes.ts';
export * from './openapi.ts';

/** Types for build.mjs (imported by the browser tests). */
export declare function buildWebApp(dist?: string): Promise<{ bytes: number; dist: string }>;

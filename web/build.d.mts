/** Types for build.mjs (imported by the browser tests). */
export declare function buildWebApp(dist?: string, opts?: { sourcemap?: boolean }): Promise<{ bytes: number; dist: string }>;
export declare function sourcemapsRequested(): boolean;

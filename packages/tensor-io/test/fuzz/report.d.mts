export type Target = 'safetensors' | 'torch' | 'zip' | 'pickle' | 'image';
export type Outcome = 'accept' | 'coded' | 'generic' | 'crash' | 'hang' | 'memory' | 'wrong';
export declare const TARGETS: readonly Target[];
export declare const OUTCOMES: readonly Outcome[];
export declare const PASSING: ReadonlySet<string>;
export declare function formatTable(results: readonly { target: string; outcome: string; ms: number }[]): string;
export declare function codeCounts(results: readonly { code?: string }[]): Map<string, number>;

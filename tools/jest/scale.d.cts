/** `ms`, stretched by M2M_TEST_TIMEOUT_SCALE (docs/testing.md). */
export function scaled(ms: number): number;

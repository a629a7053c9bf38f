export function findGo(): string | null;
export function installTlogVerify(go: string): string;
